/**
 * Offline and email (EMB-7, OFF-1..3): the offline form shown when nobody can answer (the chosen topic is
 * offline), which becomes a ticket answered by email (`POST /api/v1/tickets`); and, in a conversation, "email me
 * this chat" (a transcript) and, while waiting, "I can't wait — email me" (the chat becomes a ticket). Text only
 * ever goes through `textContent`.
 */
import { ApiError } from "./api";
import { el } from "./dom";

export const OFFLINE_TEXT = {
  intro: "Leave us a message and we will answer by email.",
  name: "Your name (optional)",
  email: "Your email",
  message: "Your message",
  send: "Send message",
  sending: "Sending…",
  sent: (email: string) => `Thank you! We will answer at ${email}.`,
  transcript: "Email me this chat",
  instead: "I can't wait — email me",
  transcriptSent: (email: string) => `The chat is on its way to ${email}.`,
  ticketSent: (email: string) => `We will answer by email at ${email}.`,
  needEmail: "Please enter your email address.",
  needMessage: "Please write a message.",
  badInput: "Please check your email address and message.",
  network: "We could not be reached. Please try again.",
};

export interface OfflineMessage {
  name?: string;
  email: string;
  message: string;
}

/** What the visitor reads when a call failed: never a stack trace, always something to do. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0 || error.retryable) return OFFLINE_TEXT.network;
    if (error.status === 422 || error.status === 400) return OFFLINE_TEXT.badInput;
    return error.message;
  }
  return OFFLINE_TEXT.network;
}

function field(tag: "input" | "textarea", name: string, label: string, type = "text"): HTMLInputElement | HTMLTextAreaElement {
  const attrs: Record<string, string> = { "data-fw": name, "aria-label": label, placeholder: label };
  if (tag === "input") attrs.type = type;
  return el(tag, attrs);
}

export interface OfflineForm {
  element: HTMLFormElement;
}

/** The offline form: name, email, message; a clear confirmation once sent, a readable error otherwise. */
export function createOfflineForm(send: (message: OfflineMessage) => Promise<unknown>): OfflineForm {
  const form = el("form", { class: "fw-offline-form", "data-fw": "offline-form", novalidate: "" });
  const name = field("input", "offline-name", OFFLINE_TEXT.name);
  const email = field("input", "offline-email", OFFLINE_TEXT.email, "email");
  const message = field("textarea", "offline-message", OFFLINE_TEXT.message);
  const button = el("button", { type: "submit", "data-fw": "offline-send" }, OFFLINE_TEXT.send);
  const error = el("div", { class: "fw-error", "data-fw": "offline-error", role: "alert" });
  const done = el("div", { "data-fw": "offline-sent", role: "status" });
  error.hidden = done.hidden = true;
  form.append(el("div", {}, OFFLINE_TEXT.intro), name, email, message, button, error, done);
  const fail = (text: string) => {
    error.textContent = text;
    error.hidden = false;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const body: OfflineMessage = { email: email.value.trim(), message: message.value.trim() };
    if (name.value.trim()) body.name = name.value.trim();
    if (!body.email) return fail(OFFLINE_TEXT.needEmail);
    if (!body.message) return fail(OFFLINE_TEXT.needMessage);
    error.hidden = true;
    button.disabled = true;
    button.textContent = OFFLINE_TEXT.sending;
    send(body).then(
      () => {
        for (const node of [name, email, message, button]) node.hidden = true;
        done.textContent = OFFLINE_TEXT.sent(body.email);
        done.hidden = false;
      },
      (reason: unknown) => {
        button.disabled = false;
        button.textContent = OFFLINE_TEXT.send;
        fail(errorText(reason));
      },
    );
  });
  return { element: form };
}

export interface EmailCallbacks {
  transcript(email: string): Promise<unknown>;
  chatToTicket(email: string): Promise<unknown>;
}

export interface EmailActions {
  element: HTMLElement;
  /** Shown in a conversation; "I can't wait" only while it waits for an operator. */
  update(state: "waiting" | "active" | "closed" | null): void;
}

export function createEmailActions(callbacks: EmailCallbacks): EmailActions {
  const box = el("div", { class: "fw-email", "data-fw": "email-actions" });
  const email = field("input", "email-address", OFFLINE_TEXT.email, "email") as HTMLInputElement;
  const transcript = el("button", { type: "button", "data-fw": "email-transcript" }, OFFLINE_TEXT.transcript);
  const instead = el("button", { type: "button", "data-fw": "email-instead" }, OFFLINE_TEXT.instead);
  const result = el("div", { "data-fw": "email-result", role: "status" });
  box.append(email, transcript, instead, result);
  const run = (call: (address: string) => Promise<unknown>, sent: (address: string) => string) => {
    const address = email.value.trim();
    if (!address) {
      result.textContent = OFFLINE_TEXT.needEmail;
      return;
    }
    result.textContent = OFFLINE_TEXT.sending;
    call(address).then(
      () => (result.textContent = sent(address)),
      (reason: unknown) => (result.textContent = errorText(reason)),
    );
  };
  transcript.addEventListener("click", () => run(callbacks.transcript, OFFLINE_TEXT.transcriptSent));
  instead.addEventListener("click", () => run(callbacks.chatToTicket, OFFLINE_TEXT.ticketSent));
  box.hidden = true;
  return {
    element: box,
    update(state) {
      box.hidden = state === null;
      instead.hidden = state !== "waiting";
    },
  };
}
