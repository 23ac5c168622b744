/**
 * The chat panel's DOM. Chat text only ever goes through `textContent`. Message elements are keyed
 * (`s<seq>` for stored messages, `c<client_msg_id>` for pending/failed ones) and reused between renders.
 */
import type { Conversation, Message, PublicSite } from "../shared/types";
import type { ChatSnapshot, SendResult } from "./session";
import { adoptStyles } from "../shared/styles";
import { CHAT_CSS } from "./styles";
import { formatHours, type TopicsState } from "./topics";
import { createEmailActions, createOfflineForm, type OfflineMessage } from "./offline";
import { showMarks } from "./typing";
import { systemText } from "./system_texts";
import { decorateMessage, EDIT_TEXT, EDITS_CSS, emojiPicker, quoteLine, shownText } from "./edits";
import { headPicture, LOOK_CSS, type OperatorLookup } from "./look";
import { acceptDrops, ATTACH_CSS, ATTACH_TEXT, attachButton, attachmentElement, AttachmentUrls, createViewer, type FileLoader } from "./attachments";
import { el } from "./dom";

export const TEXT = {
  waiting: "Waiting for an operator…",
  closed: "Conversation closed",
  operator: "Operator",
  connecting: "Connecting…",
  typing: "is typing…",
  endChat: "End chat",
  minimise: "Minimise chat",
  placeholder: "Write a message…",
  send: "Send",
  sending: "Sending…",
  retrying: "Not sent yet, trying again…",
  notSent: "Not sent.",
  retry: "Retry",
  tooLong: "This message is too long.",
  topic: "Topic",
  position: (n: number) => `You are number ${n} in the queue`,
  wait: (seconds: number) => (seconds < 60 ? "an operator will be with you shortly" : `about ${Math.round(seconds / 60)} min`),
  nobody: (queue: string) => `Nobody is available in ${queue} right now.`,
  hours: (hours: string) => `Opening hours: ${hours}`,
};

export interface ViewCallbacks {
  send(text: string, quoteSeq?: number): SendResult;
  minimise(): void;
  endChat(): void;
  retry(clientMsgId: string): void;
  /** The visitor chose a topic (queue) before writing. */
  chooseTopic?(queueId: string): void;
  /** The offline form was sent (`offline.ts`): shown where nobody is available. */
  offlineMessage?(message: OfflineMessage): Promise<unknown>;
  /** The visitor's input changed (typing signal, sneak-peek: `typing.ts`). */
  typed?(text: string): void;
  /** "Email me this chat" and "I can't wait — email me", in a conversation. */
  transcript?(email: string): Promise<unknown>;
  chatToTicket?(email: string): Promise<unknown>;
  /** CHAT-10 (`attachments.ts`): send a file in the open conversation; the refusal's text, or null when sent. */
  attach?(file: File): Promise<string | null>;
  /** Fetches a file of the conversation (with the visitor's token) to show or save it. */
  file?: FileLoader;
  /** EMB-3 (`look.ts`): who answers the conversation, with their photo, for the header. */
  operator?: OperatorLookup;
}

export interface ChatView {
  panel: HTMLElement;
  render(snapshot: ChatSnapshot): void;
  setOpen(open: boolean, focus: boolean): void;
  destroy(): void;
}

type Attrs = Record<string, string>;

/** HH:MM in the visitor's local time. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function statusText(conversation: Conversation | null, creating: boolean): string {
  if (!conversation) return creating ? TEXT.waiting : "";
  if (conversation.state === "closed") return TEXT.closed;
  if (conversation.state === "active") return conversation.assigned_user_name || TEXT.operator;
  return waitingText(conversation);
}

/** "Waiting for an operator… You are number 2 in the queue, about 4 min" (as much as is known). */
export function waitingText(conversation: Conversation): string {
  const { position, expected_wait_seconds: wait } = conversation;
  if (!position) return TEXT.waiting;
  const place = TEXT.position(position);
  return `${TEXT.waiting} ${wait == null ? place : `${place}, ${TEXT.wait(wait)}`}`;
}

/** Rebuilds the topic picker's options when the list changed; selects the chosen one. */
function fillTopics(select: HTMLSelectElement, topics: TopicsState): void {
  const queues = topics.queues || [];
  const signature = queues.map((q) => `${q.queue_id}:${q.name}`).join("|");
  if (select.dataset.signature !== signature) {
    select.replaceChildren(...queues.map((q) => el("option", { value: q.queue_id }, q.name)));
    select.dataset.signature = signature;
  }
  if (topics.chosen) select.value = topics.chosen.queue_id;
}

interface Entry {
  key: string;
  signature: string;
  build: () => HTMLElement;
}

function messageElement(message: Message, quoted?: Message, reply?: () => void, file?: HTMLElement | null): HTMLElement {
  const item = el("li", { class: "fw-msg", "data-fw": "message", "data-sender": message.sender_type, "data-seq": String(message.seq), "data-state": "sent" });
  if (message.sender_type === "operator") item.append(el("span", { class: "fw-name", "data-fw": "sender-name" }, message.sender_name || TEXT.operator));
  // a group conversation (CHAT-7): each visitor's messages carry their name ("Visitor 2")
  else if (message.sender_type === "visitor" && message.sender_name) item.append(el("span", { class: "fw-name", "data-fw": "sender-name" }, message.sender_name));
  const text = message.sender_type === "system" ? systemText(shownText(message)) : shownText(message); // EMB-11
  item.append(file || el("div", { class: "fw-text", "data-fw": "text" }, text)); // CHAT-10: a file instead of its name
  item.append(el("time", { class: "fw-time", "data-fw": "time", datetime: message.created_at }, formatTime(message.created_at)));
  decorateMessage(item, message, quoted, TEXT.operator, reply); // CHAT-5: quote, edited, deleted, reply
  return item;
}

interface Outgoing {
  client_msg_id: string;
  text: string;
  created_at: string;
  failed: boolean;
  /** The error code: why it failed, or why it is being sent again (`service_unavailable`, `rate_limited`). */
  error?: string;
}

function outgoingElement(o: Outgoing, retry: () => void): HTMLElement {
  const { failed, error } = o;
  const attrs: Attrs = { class: "fw-msg", "data-fw": "message", "data-sender": "visitor", "data-state": failed ? "failed" : "pending", "data-client-msg-id": o.client_msg_id };
  if (error) attrs["data-error"] = error;
  const item = el("li", attrs);
  item.append(el("div", { class: "fw-text", "data-fw": "text" }, o.text));
  const note = failed ? TEXT.notSent : error ? TEXT.retrying : TEXT.sending;
  const meta = el("time", { class: "fw-time", "data-fw": "time", datetime: o.created_at }, `${formatTime(o.created_at)} · ${note}`);
  item.append(meta);
  if (failed) {
    const button = el("button", { type: "button", "data-fw": "retry" }, TEXT.retry);
    button.addEventListener("click", retry);
    item.append(button);
  }
  return item;
}

/** `gateway`: the gateway's origin, against which a logo given as a path is resolved (EMB-3, `look.ts`). */
export function createView(container: HTMLElement, site: PublicSite, callbacks: ViewCallbacks, gateway = location.origin): ChatView {
  const look = site.widget || {};
  const panel = el("section", { class: "fw-panel", "data-fw": "panel", role: "dialog", "aria-label": look.title || site.name });
  const head = el("header", { class: "fw-head" });
  const headText = el("div", { class: "fw-head-text" });
  const status = el("div", { class: "fw-status", "data-fw": "status", "aria-live": "polite" });
  headText.append(el("div", { class: "fw-title", "data-fw": "title" }, look.title || site.name), status);
  const endChat = el("button", { type: "button", "data-fw": "end-chat" }, TEXT.endChat);
  const minimise = el("button", { type: "button", "data-fw": "minimise", "aria-label": TEXT.minimise, title: TEXT.minimise }, "–");
  const picture = headPicture(look, gateway, callbacks.operator); // EMB-3: the logo, or the answering operator's face
  head.append(picture.element, headText, endChat, minimise);
  const connection = el("div", { class: "fw-conn", "data-fw": "connection", role: "status" }, TEXT.connecting);
  const greeting = el("div", { class: "fw-greeting", "data-fw": "greeting" }, look.greeting || "");
  // The invitation the window was opened for (auto-open), as the operator's first words, until the visitor writes.
  const invited = el("div", { class: "fw-msg", "data-fw": "invitation-message", "data-sender": "operator", "aria-live": "polite" });
  const invitedName = el("span", { class: "fw-name", "data-fw": "sender-name" });
  const invitedText = el("div", { class: "fw-text", "data-fw": "text" });
  invited.append(invitedName, invitedText);
  invited.hidden = true;
  const list = el("ol", { class: "fw-list", "data-fw": "messages", "aria-live": "polite" });
  const typingLine = el("div", { class: "fw-typing", "data-fw": "typing", "aria-live": "polite" });
  typingLine.hidden = true;
  const form = el("form", { class: "fw-compose", "data-fw": "composer" });
  const input = el("textarea", { "data-fw": "input", rows: "1", placeholder: TEXT.placeholder, "aria-label": TEXT.placeholder });
  const send = el("button", { type: "submit", "data-fw": "send" }, TEXT.send);
  form.append(emojiPicker(input), input, send);
  // CHAT-10: the paper-clip (and a file dropped on the panel) sends a file; images open large in the panel.
  const urls = callbacks.file ? new AttachmentUrls(callbacks.file) : null;
  const viewer = createViewer();
  const attachStatus = el("div", { class: "fw-typing", "data-fw": "attach-status", role: "status" });
  attachStatus.hidden = true;
  let canAttach = false;
  let starting = false; // the first message is on its way: a file picked meanwhile waits for its conversation
  let opened: Array<() => void> = [];
  const untilOpen = () => new Promise<void>((resolve) => {
    opened.push(resolve);
    setTimeout(resolve, 15_000);
  });
  let uploading = 0;
  const sendFile = async (file: File) => {
    const attach = callbacks.attach;
    if (!attach) return;
    if (!canAttach && starting) await untilOpen();
    if (!canAttach) {
      error.hidden = false;
      error.textContent = ATTACH_TEXT.startFirst;
      return;
    }
    uploading += 1;
    attachStatus.hidden = false;
    attachStatus.textContent = `${ATTACH_TEXT.sending} ${file.name}…`;
    error.hidden = true;
    const refusal = await attach(file).catch(() => ATTACH_TEXT.failed);
    uploading -= 1;
    attachStatus.hidden = uploading === 0;
    if (refusal) {
      error.hidden = false;
      error.textContent = `${file.name}: ${refusal}`;
    }
  };
  if (callbacks.attach) {
    const picker = attachButton((file) => void sendFile(file));
    form.prepend(picker.button, picker.input);
    acceptDrops(panel, (file) => void sendFile(file), () => canAttach);
  }
  // Quote-reply (CHAT-5): the message the next one quotes, shown above the composer until sent or cancelled.
  let replyTo: Message | null = null;
  const replying = el("div", { class: "fw-replying", "data-fw": "replying" });
  const replyingText = el("span", { "data-fw": "replying-text" });
  const cancelReply = el("button", { type: "button", "data-fw": "cancel-reply", "aria-label": EDIT_TEXT.cancel }, "×");
  replying.append(replyingText, cancelReply);
  replying.hidden = true;
  const quoteNext = (message: Message | null) => {
    replyTo = message;
    replying.hidden = !message;
    replyingText.textContent = message ? `${EDIT_TEXT.replyTo} ${quoteLine(message, TEXT.operator)}` : "";
    if (message) input.focus();
  };
  cancelReply.addEventListener("click", () => quoteNext(null));
  const error = el("div", { class: "fw-error", "data-fw": "error", role: "alert" });
  error.hidden = true;
  // Before the visitor writes: the topic (queue) to write to, and whether anyone can answer there now.
  const topicBox = el("label", { class: "fw-topic", "data-fw": "topics" }, TEXT.topic);
  const topicSelect = el("select", { "data-fw": "topic" });
  topicBox.append(topicSelect);
  topicBox.hidden = true;
  topicSelect.addEventListener("change", () => callbacks.chooseTopic?.(topicSelect.value));
  const offline = el("div", { class: "fw-offline", "data-fw": "offline", role: "status" });
  const offlineText = el("div", { "data-fw": "offline-text" });
  const offlineHours = el("div", { class: "fw-hours", "data-fw": "offline-hours" });
  offline.append(offlineText, offlineHours);
  if (callbacks.offlineMessage) offline.append(createOfflineForm(callbacks.offlineMessage).element);
  offline.hidden = true;
  const { transcript, chatToTicket } = callbacks;
  const emailActions = transcript && chatToTicket ? createEmailActions({ transcript, chatToTicket }) : null;
  panel.append(head, connection, greeting, invited, list, typingLine, attachStatus, topicBox, offline, replying, form, error, viewer.element);
  if (emailActions) panel.append(emailActions.element);
  container.append(panel);
  const removeStyles = adoptStyles(container.getRootNode(), CHAT_CSS + EDITS_CSS + ATTACH_CSS + LOOK_CSS, container);

  const submit = () => {
    const result = replyTo ? callbacks.send(input.value, replyTo.seq) : callbacks.send(input.value);
    error.hidden = result !== "too_long";
    error.textContent = result === "too_long" ? TEXT.tooLong : "";
    if (result === "ok") {
      input.value = "";
      quoteNext(null);
    }
    input.focus();
  };
  input.addEventListener("input", () => callbacks.typed?.(input.value));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") callbacks.minimise();
  });
  minimise.addEventListener("click", () => callbacks.minimise());
  endChat.addEventListener("click", () => callbacks.endChat());

  const rendered = new Map<string, { node: HTMLElement; signature: string }>();

  const render = (snapshot: ChatSnapshot) => {
    const { conversation } = snapshot;
    const open = !!conversation && conversation.state !== "closed";
    status.textContent = statusText(conversation, snapshot.creating);
    canAttach = open;
    starting = snapshot.creating || snapshot.pending.length > 0;
    if (open && opened.length) {
      for (const resolve of opened) resolve();
      opened = [];
    }
    picture.update(conversation);
    endChat.hidden = !open;
    connection.hidden = !open || snapshot.connected;
    const topics = snapshot.topics;
    const choosing = !open && !snapshot.creating && !!topics?.queues;
    topicBox.hidden = !choosing || (topics?.queues?.length ?? 0) < 2;
    if (choosing && topics) fillTopics(topicSelect, topics);
    const unavailable = choosing && topics?.chosen && !topics.chosen.online ? topics.chosen : null;
    offline.hidden = !unavailable;
    offlineText.textContent = unavailable ? TEXT.nobody(unavailable.name) : "";
    const hours = unavailable ? formatHours(unavailable.hours) : "";
    offlineHours.textContent = hours ? TEXT.hours(hours) : "";
    offlineHours.hidden = !hours;
    form.hidden = !!unavailable && !snapshot.pending.length;
    emailActions?.update(conversation && snapshot.messages.length ? conversation.state : null);
    const outgoing: Outgoing[] = [
      ...snapshot.pending.map((p) => ({ ...p, failed: false, error: p.retrying })),
      ...snapshot.failed.map((f) => ({ ...f, failed: true })),
    ].sort((a, b) => a.created_at.localeCompare(b.created_at));
    const bySeq = new Map(snapshot.messages.map((m) => [m.seq, m]));
    if (!open && replyTo) quoteNext(null);
    const entries: Entry[] = [
      ...[...snapshot.messages].sort((x, y) => x.seq - y.seq).map((m) => {
        const quoted = m.quote_seq ? bySeq.get(m.quote_seq) : undefined;
        const reply = open ? () => quoteNext(m) : undefined;
        const signature = `${m.id}:${m.revision ?? 0}:${quoted ? `${quoted.revision ?? 0}` : ""}:${open}`;
        const file = () => (urls ? attachmentElement(m, urls, viewer) : null);
        return { key: `s${m.seq}`, signature, build: () => messageElement(m, quoted, reply, file()) };
      }),
      ...outgoing.map((o) => ({
        key: `c${o.client_msg_id}`,
        signature: `${o.failed ? "failed" : "pending"}:${o.error || ""}`,
        build: () => outgoingElement(o, () => callbacks.retry(o.client_msg_id)),
      })),
    ];
    const invitation = snapshot.invitation;
    invited.hidden = !invitation || entries.length > 0;
    invitedName.textContent = invitation ? invitation.operator?.name || TEXT.operator : "";
    invitedText.textContent = invitation ? invitation.text : "";
    greeting.hidden = entries.length > 0 || !look.greeting || !invited.hidden;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const keep = new Set(entries.map((e) => e.key));
    for (const [key, { node }] of rendered) {
      if (!keep.has(key)) {
        node.remove();
        rendered.delete(key);
      }
    }
    entries.forEach((entry, index) => {
      let current = rendered.get(entry.key);
      if (!current || current.signature !== entry.signature) {
        const node = entry.build();
        if (current) current.node.replaceWith(node);
        current = { node, signature: entry.signature };
        rendered.set(entry.key, current);
      }
      if (list.children[index] !== current.node) list.insertBefore(current.node, list.children[index] || null);
    });
    showMarks(list, snapshot.readSeq ?? 0);
    const typing = snapshot.operatorTyping;
    typingLine.hidden = typing == null || !open;
    typingLine.textContent = typing == null ? "" : `${typing || TEXT.operator} ${TEXT.typing}`;
    if (atBottom || outgoing.length) list.scrollTop = list.scrollHeight;
  };

  return {
    panel,
    render,
    setOpen(open, focus) {
      panel.hidden = !open;
      if (open) list.scrollTop = list.scrollHeight;
      if (open && focus) input.focus();
    },
    destroy() {
      urls?.destroy();
      removeStyles();
      panel.remove();
    },
  };
}
