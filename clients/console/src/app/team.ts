/**
 * The console's team behaviour without React: presence and queue frames into the team store, highlighted
 * visitors, chats handed to this operator (with the colleague's note), and the actions of CHAT-6 / OPS-7
 * (transfer, invite, watch, join), whose answers go into the conversation store.
 */

import {
  inviteParticipant,
  joinConversation,
  removeParticipant,
  teamErrorText,
  transferConversation,
  unwatchConversation,
  watchConversation,
  type TransferTarget,
} from "../api/conversationTeam";
import type { ApiClient } from "../api/client";
import { listColleagues, listPresence, queueSummary, setDefaultMaxChats } from "../api/queues";
import type { Store } from "../state/store";
import { createTeamStore, HIGHLIGHT_SECONDS, type TeamStore } from "../state/team";
import type { Conversation, ServerFrame } from "../types";
import type { Notifier } from "./notify";

export type TeamFrame = Extract<
  ServerFrame,
  {
    type:
      | "presence.updated"
      | "queue.summary"
      | "visitor.highlight"
      | "conversation.transferred"
      | "conversation.invited";
  }
>;

export const TEAM_FRAMES: ReadonlySet<string> = new Set([
  "presence.updated",
  "queue.summary",
  "visitor.highlight",
  "conversation.transferred",
  "conversation.invited",
]);

export function isTeamFrame(frame: ServerFrame): frame is TeamFrame {
  return TEAM_FRAMES.has(frame.type);
}

export interface TeamOptions {
  api: ApiClient;
  store: Store;
  notifier: Notifier;
  userId: () => string;
  /** Opens a conversation in the chat view. */
  select: (conversationId: string | null) => Promise<void>;
  now?: () => number;
}

/** The outcome of an action: ok, or the reason for a person. */
export type Outcome = { ok: true; conversation: Conversation } | { ok: false; error: string };

export class TeamController {
  readonly store: TeamStore = createTeamStore();
  private readonly options: TeamOptions;
  private readonly now: () => number;
  /** False once the server said it has no queue summary (404): nobody asks again. */
  private summaryAvailable = true;

  constructor(options: TeamOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  onFrame(frame: TeamFrame): void {
    const { store, notifier, userId } = this.options;
    switch (frame.type) {
      case "presence.updated":
        this.store.dispatch({ type: "presence.updated", presence: frame.presence });
        break;
      case "queue.summary":
        if (Array.isArray(frame.queues)) {
          this.store.dispatch({ type: "summary.loaded", queues: frame.queues, at: this.now() });
        }
        break;
      case "visitor.highlight": {
        if (frame.sound) notifier.beep();
        if (frame.highlight === false) break;
        const seconds = frame.duration_s && frame.duration_s > 0 ? frame.duration_s : HIGHLIGHT_SECONDS;
        const now = this.now();
        const ruleName = frame.rule_name || "a rule";
        const until = now + seconds * 1000;
        this.store.dispatch({ type: "highlight", visitorId: frame.visitor_id, ruleName, until, now });
        break;
      }
      case "conversation.transferred": {
        store.dispatch({ type: "conversation.moved", conversation: frame.conversation });
        if (frame.to_user_id && frame.to_user_id === userId()) {
          notifier.beep();
          this.handover(frame.conversation.id, "transferred", frame.from_user_id, frame.note);
        } else if (frame.to_queue_id && frame.from_user_id !== userId()) {
          // the note is not stored: whoever takes it from the queue reads it here
          this.handover(frame.conversation.id, "queued", frame.from_user_id, frame.note);
        }
        break;
      }
      case "conversation.invited": {
        store.dispatch({ type: "conversation.upserted", conversation: frame.conversation });
        const me = userId();
        const invited =
          frame.user_id === me ||
          (frame.user_id === undefined &&
            frame.conversation.participants?.some((p) => p.user_id === me && p.role === "invited"));
        if (invited && frame.by_user_id !== me) {
          notifier.beep();
          this.handover(frame.conversation.id, "invited", frame.by_user_id, frame.note, frame.by_name);
        }
        break;
      }
    }
  }

  private handover(
    conversationId: string,
    kind: "transferred" | "invited" | "queued",
    from: string | null,
    note: string | null,
    fromName: string | null = null,
  ) {
    const handover = { kind, fromUserId: from, fromName, note: note || null };
    this.store.dispatch({ type: "handover", conversationId, handover });
  }

  dismissHandover(conversationId: string): void {
    this.store.dispatch({ type: "handover.dismissed", conversationId });
  }

  /** Supervisors and admins: every operator's presence (frames keep it live afterwards). */
  async loadPresence(): Promise<string | null> {
    try {
      const { operators, default_max_chats: defaultMaxChats } = await listPresence(this.options.api);
      this.store.dispatch({ type: "presence.loaded", operators, defaultMaxChats });
      return null;
    } catch (error) {
      return teamErrorText(error);
    }
  }

  /** Any operator: the colleagues to transfer or invite to (name, status, load, queues); null, else why not. */
  async loadColleagues(): Promise<string | null> {
    try {
      const colleagues = await listColleagues(this.options.api);
      const operators = colleagues.map((c) => ({ ...c, max_chats_override: null }));
      this.store.dispatch({ type: "colleagues.loaded", operators });
      return null;
    } catch (error) {
      return teamErrorText(error);
    }
  }

  /**
   * Supervisors: the account's default maximum of chats per operator; null on success, else why not. The answer is
   * the number alone, and the operators without their own maximum change with it: the list is read again.
   */
  async setDefaultMaxChats(maxChats: number): Promise<string | null> {
    try {
      await setDefaultMaxChats(this.options.api, maxChats);
    } catch (error) {
      return teamErrorText(error);
    }
    return this.loadPresence();
  }

  /** The queues now: "missing" when the server has no summary (the lists hide), "failed" for a passing error. */
  async loadSummary(): Promise<"ok" | "missing" | "failed"> {
    if (!this.summaryAvailable) return "missing";
    try {
      const queues = await queueSummary(this.options.api);
      if (queues === null) {
        this.summaryAvailable = false;
        return "missing";
      }
      this.store.dispatch({ type: "summary.loaded", queues, at: this.now() });
      return "ok";
    } catch {
      return "failed"; // keep what was shown; the next poll tries again
    }
  }

  transfer(conversationId: string, target: TransferTarget, note: string): Promise<Outcome> {
    return this.act(() => transferConversation(this.options.api, conversationId, target, note), "moved", true);
  }

  invite(conversationId: string, operatorId: string, note: string): Promise<Outcome> {
    return this.act(() => inviteParticipant(this.options.api, conversationId, operatorId, note));
  }

  leave(conversationId: string, userId: string): Promise<Outcome> {
    return this.act(() => removeParticipant(this.options.api, conversationId, userId));
  }

  /** Supervisors: follow a chat silently; it opens in the chat view. */
  async watch(conversationId: string): Promise<Outcome> {
    const outcome = await this.act(() => watchConversation(this.options.api, conversationId));
    if (outcome.ok) await this.options.select(conversationId);
    return outcome;
  }

  unwatch(conversationId: string): Promise<Outcome> {
    return this.act(() => unwatchConversation(this.options.api, conversationId));
  }

  /** Supervisors: join a chat as a participant (they may write); it opens in the chat view. */
  async join(conversationId: string): Promise<Outcome> {
    const outcome = await this.act(() => joinConversation(this.options.api, conversationId));
    if (outcome.ok) await this.options.select(conversationId);
    return outcome;
  }

  private async act(
    call: () => Promise<Conversation>,
    how: "upserted" | "moved" = "upserted",
    deselect = false,
  ): Promise<Outcome> {
    try {
      const conversation = await call();
      this.options.store.dispatch(
        how === "moved"
          ? { type: "conversation.moved", conversation }
          : { type: "conversation.upserted", conversation },
      );
      if (deselect && conversation.assigned_user_id !== this.options.userId()) await this.options.select(null);
      return { ok: true, conversation };
    } catch (error) {
      return { ok: false, error: teamErrorText(error) };
    }
  }
}
