/**
 * Invitations on the visitor's screen, from the tab's socket (`channel`): an `invitation` frame shows, after its
 * `delay_s`, as the bubble (`bubble.ts`) or, with `auto_open`, as the chat window opened on it. The widget reports
 * `invitation.shown`; "Chat now" sends `invitation.accept` and, once `invitation.accepted` names the conversation
 * it started, opens the chat on it; the close button sends `invitation.close`. `invitation.withdrawn` (answered in
 * another tab, or expired) takes the bubble away. Each invitation is shown once per page.
 * This code is in the chat bundle: the loader only notices the first invitation frame, loads the bundle and hands
 * over (`showInvitations`) the frames received meanwhile.
 */
import { adoptStyles } from "../shared/styles";
import type { ChannelFrame, Conversation, InvitationFrame, InvitationMount, OpenedInvitation, VisitorChannel } from "../shared/types";
import { BUBBLE_CSS, type Bubble, createBubble } from "./bubble";

/** How long an accept may wait for its answer. */
export const ACCEPT_TIMEOUT_MS = 10_000;

export interface InvitationHost {
  channel: VisitorChannel;
  bubble: Bubble;
  /** Opens the chat window: on the conversation an accepted invitation started (no argument), or on an
   * invitation (auto-open) whose acceptance waits for the visitor's first message. */
  openChat(invitation?: OpenedInvitation): void;
  /** The visitor is in a conversation already: invitations are not shown. */
  chatting(): boolean;
}

interface Waiting {
  resolve(conversation: Conversation | null): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Watches the tab's invitations, first replaying those the loader received (`replay`: frames and when they came). */
export function watchInvitations(host: InvitationHost, replay: Array<[ChannelFrame, number]> = []): () => void {
  const { channel, bubble } = host;
  const seen = new Set<string>();
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  const waiting = new Map<string, Waiting>();
  let unsent: ChannelFrame[] = [];

  /** Sends now, or as soon as the socket is open again. */
  const send = (frame: ChannelFrame) => {
    if (!channel.send(frame)) unsent.push(frame);
  };

  const settle = (invitationId: string, conversation: Conversation | null) => {
    const pending = waiting.get(invitationId);
    if (!pending) return;
    waiting.delete(invitationId);
    clearTimeout(pending.timer);
    pending.resolve(conversation);
  };

  /** Accepts an invitation: the conversation it started, or null (gone, refused, no answer in time). */
  const accept = (invitationId: string): Promise<Conversation | null> =>
    new Promise((resolve) => {
      settle(invitationId, null);
      const timer = setTimeout(() => settle(invitationId, null), ACCEPT_TIMEOUT_MS);
      waiting.set(invitationId, { resolve, timer });
      send({ type: "invitation.accept", invitation_id: invitationId });
    });

  const close = (invitationId: string) => send({ type: "invitation.close", invitation_id: invitationId });

  const present = (invitation: InvitationFrame) => {
    timers.delete(invitation.invitation_id);
    const expires = invitation.expires_at ? Date.parse(invitation.expires_at) : NaN;
    if (expires <= Date.now() || host.chatting()) return;
    const id = invitation.invitation_id;
    send({ type: "invitation.shown", invitation_id: id });
    if (invitation.auto_open) {
      host.openChat({ text: invitation.text, operator: invitation.operator, accept: () => accept(id), close: () => close(id) });
      return;
    }
    bubble.show(invitation, {
      accept() {
        bubble.busy(true);
        void accept(id).then((conversation) => {
          if (bubble.current === id) bubble.hide();
          if (conversation) host.openChat();
        });
      },
      close() {
        bubble.hide();
        close(id);
      },
    });
  };

  const onFrame = (frame: ChannelFrame, receivedAt = Date.now()) => {
    if (frame.type === "invitation") {
      const invitation = frame as InvitationFrame;
      const id = invitation.invitation_id;
      if (typeof id !== "string" || typeof invitation.text !== "string" || seen.has(id)) return;
      seen.add(id);
      const delay = Math.max(0, (Number(invitation.delay_s) || 0) * 1000 - (Date.now() - receivedAt));
      timers.set(id, setTimeout(() => present(invitation), delay));
    } else if (frame.type === "invitation.accepted") {
      settle(frame.invitation_id as string, (frame.conversation as Conversation) || null);
    } else if (frame.type === "invitation.withdrawn") {
      const id = frame.invitation_id as string;
      clearTimeout(timers.get(id));
      timers.delete(id);
      if (bubble.current === id && !waiting.has(id)) bubble.hide();
    } else if (frame.type === "error" && typeof frame.invitation_id === "string") {
      settle(frame.invitation_id, null);
    }
  };

  const stop = channel.listen({
    open() {
      const frames = unsent;
      unsent = [];
      for (const frame of frames) send(frame);
    },
    frame: onFrame,
  });
  for (const [frame, receivedAt] of replay) onFrame(frame, receivedAt);
  return () => {
    stop();
    for (const timer of timers.values()) clearTimeout(timer);
    for (const id of [...waiting.keys()]) settle(id, null);
  };
}

/** The loader's hand-over: draws the (hidden) bubble in the widget's corner and watches the invitations. */
export function showInvitations(mount: InvitationMount): () => void {
  adoptStyles(mount.root, BUBBLE_CSS, mount.root);
  const bubble = createBubble(mount.frame, mount.launcher);
  return watchInvitations({ channel: mount.channel, bubble, chatting: mount.chatting, openChat: mount.openChat }, mount.frames);
}
