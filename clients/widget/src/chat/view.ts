/**
 * The chat panel's DOM. Chat text only ever goes through `textContent`. Message elements are keyed
 * (`s<seq>` for stored messages, `c<client_msg_id>` for pending/failed ones) and reused between renders.
 */
import type { Conversation, Message, PublicSite } from "../shared/types";
import type { ChatSnapshot, SendResult } from "./session";
import { adoptStyles } from "../shared/styles";
import { CHAT_CSS } from "./styles";

export const TEXT = {
  waiting: "Waiting for an operator…",
  closed: "Conversation closed",
  operator: "Operator",
  connecting: "Connecting…",
  endChat: "End chat",
  minimise: "Minimise chat",
  placeholder: "Write a message…",
  send: "Send",
  sending: "Sending…",
  retrying: "Not sent yet, trying again…",
  notSent: "Not sent.",
  retry: "Retry",
  tooLong: "This message is too long.",
};

export interface ViewCallbacks {
  send(text: string): SendResult;
  minimise(): void;
  endChat(): void;
  retry(clientMsgId: string): void;
}

export interface ChatView {
  panel: HTMLElement;
  render(snapshot: ChatSnapshot): void;
  setOpen(open: boolean, focus: boolean): void;
  destroy(): void;
}

type Attrs = Record<string, string>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

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
  return TEXT.waiting;
}

interface Entry {
  key: string;
  signature: string;
  build: () => HTMLElement;
}

function messageElement(message: Message): HTMLElement {
  const item = el("li", { class: "fw-msg", "data-fw": "message", "data-sender": message.sender_type, "data-seq": String(message.seq), "data-state": "sent" });
  if (message.sender_type === "operator") item.append(el("span", { class: "fw-name", "data-fw": "sender-name" }, message.sender_name || TEXT.operator));
  item.append(el("div", { class: "fw-text", "data-fw": "text" }, message.text));
  item.append(el("time", { class: "fw-time", "data-fw": "time", datetime: message.created_at }, formatTime(message.created_at)));
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

export function createView(container: HTMLElement, site: PublicSite, callbacks: ViewCallbacks): ChatView {
  const look = site.widget || {};
  const panel = el("section", { class: "fw-panel", "data-fw": "panel", role: "dialog", "aria-label": look.title || site.name });
  const head = el("header", { class: "fw-head" });
  const headText = el("div", { class: "fw-head-text" });
  const status = el("div", { class: "fw-status", "data-fw": "status", "aria-live": "polite" });
  headText.append(el("div", { class: "fw-title", "data-fw": "title" }, look.title || site.name), status);
  const endChat = el("button", { type: "button", "data-fw": "end-chat" }, TEXT.endChat);
  const minimise = el("button", { type: "button", "data-fw": "minimise", "aria-label": TEXT.minimise, title: TEXT.minimise }, "–");
  head.append(headText, endChat, minimise);
  const connection = el("div", { class: "fw-conn", "data-fw": "connection", role: "status" }, TEXT.connecting);
  const greeting = el("div", { class: "fw-greeting", "data-fw": "greeting" }, look.greeting || "");
  // The invitation the window was opened for (auto-open), as the operator's first words, until the visitor writes.
  const invited = el("div", { class: "fw-msg", "data-fw": "invitation-message", "data-sender": "operator", "aria-live": "polite" });
  const invitedName = el("span", { class: "fw-name", "data-fw": "sender-name" });
  const invitedText = el("div", { class: "fw-text", "data-fw": "text" });
  invited.append(invitedName, invitedText);
  invited.hidden = true;
  const list = el("ol", { class: "fw-list", "data-fw": "messages", "aria-live": "polite" });
  const form = el("form", { class: "fw-compose", "data-fw": "composer" });
  const input = el("textarea", { "data-fw": "input", rows: "1", placeholder: TEXT.placeholder, "aria-label": TEXT.placeholder });
  const send = el("button", { type: "submit", "data-fw": "send" }, TEXT.send);
  form.append(input, send);
  const error = el("div", { class: "fw-error", "data-fw": "error", role: "alert" });
  error.hidden = true;
  panel.append(head, connection, greeting, invited, list, form, error);
  container.append(panel);
  const removeStyles = adoptStyles(container.getRootNode(), CHAT_CSS, container);

  const submit = () => {
    const result = callbacks.send(input.value);
    error.hidden = result !== "too_long";
    error.textContent = result === "too_long" ? TEXT.tooLong : "";
    if (result === "ok") input.value = "";
    input.focus();
  };
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
    endChat.hidden = !open;
    connection.hidden = !open || snapshot.connected;
    const outgoing: Outgoing[] = [
      ...snapshot.pending.map((p) => ({ ...p, failed: false, error: p.retrying })),
      ...snapshot.failed.map((f) => ({ ...f, failed: true })),
    ].sort((a, b) => a.created_at.localeCompare(b.created_at));
    const entries: Entry[] = [
      ...[...snapshot.messages].sort((x, y) => x.seq - y.seq).map((m) => ({ key: `s${m.seq}`, signature: m.id, build: () => messageElement(m) })),
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
      removeStyles();
      panel.remove();
    },
  };
}
