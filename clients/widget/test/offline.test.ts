import { beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, ChatApi } from "../src/chat/api";
import { createEmailActions, createOfflineForm, errorText, OFFLINE_TEXT } from "../src/chat/offline";
import type { ChatSnapshot } from "../src/chat/session";
import { createView, type ViewCallbacks } from "../src/chat/view";
import type { PublicSite } from "../src/shared/types";
import { conversation, message } from "./helpers";

const site: PublicSite = { id: "s1", name: "Shop", widget: { title: "Talk to us" } };
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function typeInto(root: ParentNode, name: string, value: string): void {
  const node = root.querySelector<HTMLInputElement>(`[data-fw="${name}"]`)!;
  node.value = value;
}

describe("offline form", () => {
  beforeEach(() => {
    document.body.innerHTML = "";
  });

  it("sends name, email and message and confirms clearly", async () => {
    const send = vi.fn(() => Promise.resolve({ id: "t1" }));
    const { element } = createOfflineForm(send);
    document.body.append(element);
    typeInto(element, "offline-name", "  <b>Ann</b> ");
    typeInto(element, "offline-email", "ann@example.com");
    typeInto(element, "offline-message", "Where is my order?");
    element.requestSubmit();
    await flush();
    expect(send).toHaveBeenCalledWith({ name: "<b>Ann</b>", email: "ann@example.com", message: "Where is my order?" });
    const done = element.querySelector<HTMLElement>('[data-fw="offline-sent"]')!;
    expect(done.hidden).toBe(false);
    expect(done.textContent).toBe(OFFLINE_TEXT.sent("ann@example.com"));
    expect(element.querySelector("b")).toBeNull();
  });

  it("asks for what is missing and shows readable errors", async () => {
    const send = vi.fn(() => Promise.reject(new ApiError(422, "validation_error", "Invalid request: email.")));
    const { element } = createOfflineForm(send);
    document.body.append(element);
    const error = element.querySelector<HTMLElement>('[data-fw="offline-error"]')!;
    element.requestSubmit();
    expect(send).not.toHaveBeenCalled();
    expect(error.textContent).toBe(OFFLINE_TEXT.needEmail);
    typeInto(element, "offline-email", "nope");
    typeInto(element, "offline-message", "Hi");
    element.requestSubmit();
    await flush();
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe(OFFLINE_TEXT.badInput);
    expect(element.querySelector<HTMLButtonElement>('[data-fw="offline-send"]')!.disabled).toBe(false);
    expect(errorText(new ApiError(0, "network_error", "x"))).toBe(OFFLINE_TEXT.network);
  });

  it("email actions: a transcript any time, 'I can't wait' only while waiting", async () => {
    const transcript = vi.fn(() => Promise.resolve({}));
    const chatToTicket = vi.fn(() => Promise.resolve({}));
    const actions = createEmailActions({ transcript, chatToTicket });
    const instead = actions.element.querySelector<HTMLElement>('[data-fw="email-instead"]')!;
    actions.update(null);
    expect(actions.element.hidden).toBe(true);
    actions.update("active");
    expect(actions.element.hidden).toBe(false);
    expect(instead.hidden).toBe(true);
    actions.update("waiting");
    expect(instead.hidden).toBe(false);
    typeInto(actions.element, "email-address", "bo@example.com");
    instead.click();
    await flush();
    expect(chatToTicket).toHaveBeenCalledWith("bo@example.com");
    expect(actions.element.querySelector('[data-fw="email-result"]')!.textContent).toBe(OFFLINE_TEXT.ticketSent("bo@example.com"));
    actions.element.querySelector<HTMLElement>('[data-fw="email-transcript"]')!.click();
    await flush();
    expect(transcript).toHaveBeenCalledWith("bo@example.com");
  });

  it("the view shows the form where nobody is available, and the actions in a conversation", () => {
    const box = document.createElement("div");
    document.body.append(box);
    const cb: ViewCallbacks = {
      send: vi.fn(() => "ok" as const),
      minimise: vi.fn(),
      endChat: vi.fn(),
      retry: vi.fn(),
      offlineMessage: vi.fn(() => Promise.resolve()),
      transcript: vi.fn(() => Promise.resolve()),
      chatToTicket: vi.fn(() => Promise.resolve()),
    };
    const view = createView(box, site, cb);
    const queue = { queue_id: "q1", name: "Sales", online: false, open_now: false, hours: null };
    const base: ChatSnapshot = { conversation: null, messages: [], pending: [], failed: [], connected: true, creating: false };
    view.render({ ...base, topics: { queues: [queue], chosen: queue } });
    const offline = box.querySelector<HTMLElement>('[data-fw="offline"]')!;
    expect(offline.hidden).toBe(false);
    expect(offline.querySelector('[data-fw="offline-form"]')).not.toBeNull();
    expect(box.querySelector<HTMLElement>('[data-fw="email-actions"]')!.hidden).toBe(true);
    view.render({ ...base, conversation: conversation(), messages: [message(1)] });
    expect(box.querySelector<HTMLElement>('[data-fw="email-actions"]')!.hidden).toBe(false);
  });

  it("the api posts the ticket calls with the visitor's token", async () => {
    const fetchImpl = vi.fn(async () => new Response(JSON.stringify({ id: "t1" }), { status: 201 }));
    const api = new ChatApi("https://fw.example", () => "tok", fetchImpl as unknown as typeof fetch);
    await api.offlineMessage({ email: "a@example.com", message: "Hi", queue_id: null });
    await api.transcript("c1", "a@example.com");
    await api.chatToTicket("c1", "a@example.com");
    const calls = fetchImpl.mock.calls as unknown as Array<[string, RequestInit]>;
    expect(calls.map(([url]) => url)).toEqual([
      "https://fw.example/api/v1/tickets",
      "https://fw.example/api/v1/conversations/c1/transcript",
      "https://fw.example/api/v1/conversations/c1/ticket",
    ]);
    expect(JSON.parse(String(calls[0][1].body))).toEqual({ email: "a@example.com", message: "Hi" });
    expect((calls[0][1].headers as Record<string, string>).Authorization).toBe("Bearer tok");
  });
});
