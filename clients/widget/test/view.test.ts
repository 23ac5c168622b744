import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatSnapshot } from "../src/chat/session";
import { createView, formatTime, statusText, type ViewCallbacks } from "../src/chat/view";
import type { PublicSite } from "../src/shared/types";
import { conversation, message } from "./helpers";

const site: PublicSite = { id: "s1", name: "Shop", widget: { title: "Talk to us", greeting: "Hello!", color: "#ff0000" } };

function snapshot(overrides: Partial<ChatSnapshot> = {}): ChatSnapshot {
  return { conversation: null, messages: [], pending: [], failed: [], connected: true, creating: false, ...overrides };
}

function setup(callbacks: Partial<ViewCallbacks> = {}) {
  const host = document.createElement("div");
  document.body.appendChild(host);
  const root = host.attachShadow({ mode: "open" });
  const box = document.createElement("div");
  root.appendChild(box);
  const cb: ViewCallbacks = { send: vi.fn(() => "ok" as const), minimise: vi.fn(), endChat: vi.fn(), retry: vi.fn(), ...callbacks };
  const view = createView(box, site, cb);
  const $ = <T extends Element = HTMLElement>(name: string) => root.querySelector<T>(`[data-fw="${name}"]`)!;
  const $$ = (name: string) => [...root.querySelectorAll<HTMLElement>(`[data-fw="${name}"]`)];
  return { view, cb, root, $, $$ };
}

describe("chat view", () => {
  beforeEach(() => {
    document.body.innerHTML = "";
  });

  it("renders chat text as text, never as HTML", () => {
    const { view, root, $$ } = setup();
    const evil = '<img src=x onerror="window.__pwned=1">';
    view.render(snapshot({ conversation: conversation(), messages: [message(1, { text: evil, sender_name: "<b>Ana</b>" })] }));
    expect(root.querySelector("img")).toBeNull();
    expect(root.querySelector("b")).toBeNull();
    const [item] = $$("message");
    expect(item.querySelector('[data-fw="text"]')!.textContent).toBe(evil);
    expect(item.querySelector('[data-fw="sender-name"]')!.textContent).toBe("<b>Ana</b>");
  });

  it("marks each message with its sender and seq, a HH:MM time, and the operator's name", () => {
    const { view, $$ } = setup();
    view.render(
      snapshot({
        conversation: conversation({ state: "active" }),
        messages: [
          message(2, { sender_type: "operator", sender_name: "Ana", created_at: "2024-05-01T09:07:00" }),
          message(1, { sender_type: "visitor", sender_name: null, created_at: "2024-05-01T09:05:00" }),
          message(3, { sender_type: "system", sender_name: null, created_at: "2024-05-01T23:59:00" }),
        ],
      }),
    );
    const items = $$("message");
    expect(items.map((m) => [m.dataset.sender, m.dataset.seq])).toEqual([
      ["visitor", "1"],
      ["operator", "2"],
      ["system", "3"],
    ]);
    expect(items.map((m) => m.querySelector('[data-fw="time"]')!.textContent)).toEqual(["09:05", "09:07", "23:59"]);
    expect(items.map((m) => m.querySelector('[data-fw="sender-name"]')?.textContent ?? null)).toEqual([null, "Ana", null]);
  });

  it("names each visitor of a group conversation on their messages (CHAT-7)", () => {
    const { view, $$ } = setup();
    view.render(
      snapshot({
        conversation: conversation({ state: "active" }),
        messages: [
          message(1, { sender_type: "operator", sender_name: "Ana" }),
          message(2, { sender_type: "visitor", sender_name: "Visitor 2" }),
        ],
      }),
    );
    const names = $$("message").map((m) => m.querySelector('[data-fw="sender-name"]')?.textContent ?? null);
    expect(names).toEqual(["Ana", "Visitor 2"]);
  });

  it("shows pending messages until they are stored, reusing the stored message elements", () => {
    const { view, $$ } = setup();
    const pending = { client_msg_id: "id-1", conversation_id: "c1", text: "hi", created_at: "2024-05-01T10:00:00Z" };
    view.render(snapshot({ conversation: conversation(), messages: [message(1)], pending: [pending] }));
    const first = $$("message")[0];
    expect($$("message").map((m) => m.dataset.state)).toEqual(["sent", "pending"]);
    expect($$("message")[1].hasAttribute("data-seq")).toBe(false);
    view.render(snapshot({ conversation: conversation(), messages: [message(1), message(2, { sender_type: "visitor", text: "hi" })] }));
    expect($$("message").map((m) => [m.dataset.state, m.dataset.seq])).toEqual([
      ["sent", "1"],
      ["sent", "2"],
    ]);
    expect($$("message")[0]).toBe(first);
  });

  it("offers a retry on a failed message", () => {
    const { view, cb, root } = setup();
    const failed = { client_msg_id: "id-9", conversation_id: "c1", text: "x", created_at: "2024-05-01T10:00:00Z", error: "message_too_large" };
    view.render(snapshot({ conversation: conversation(), failed: [failed] }));
    root.querySelector<HTMLElement>('[data-fw="retry"]')!.click();
    expect(cb.retry).toHaveBeenCalledWith("id-9");
  });

  it("shows the conversation state in the header", () => {
    expect(statusText(null, false)).toBe("");
    expect(statusText(null, true)).toBe("Waiting for an operator…");
    expect(statusText(conversation({ state: "waiting" }), false)).toBe("Waiting for an operator…");
    expect(statusText(conversation({ state: "active", assigned_user_name: "Ana" }), false)).toBe("Ana");
    expect(statusText(conversation({ state: "closed" }), false)).toBe("Conversation closed");

    const { view, $ } = setup();
    view.render(snapshot({ conversation: conversation({ state: "active", assigned_user_name: "Ana" }) }));
    expect($("status").textContent).toBe("Ana");
    expect($("end-chat").hidden).toBe(false);
    view.render(snapshot({ conversation: conversation({ state: "closed" }) }));
    expect($("status").textContent).toBe("Conversation closed");
    expect($("end-chat").hidden).toBe(true);
  });

  it("sends on Enter, keeps Shift+Enter for a new line, and clears the input once accepted", () => {
    const { cb, $ } = setup();
    const input = $<HTMLTextAreaElement>("input");
    input.value = "line one";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", shiftKey: true, bubbles: true }));
    expect(cb.send).not.toHaveBeenCalled();
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(cb.send).toHaveBeenCalledWith("line one");
    expect(input.value).toBe("");
    input.value = "again";
    $("send").click();
    expect(cb.send).toHaveBeenLastCalledWith("again");
  });

  it("keeps the text and says so when the message is too long", () => {
    const { $ } = setup({ send: vi.fn(() => "too_long" as const) });
    const input = $<HTMLTextAreaElement>("input");
    input.value = "long";
    $("send").click();
    expect(input.value).toBe("long");
    expect($("error").hidden).toBe(false);
  });

  it("wires minimise and end chat, and shows the greeting only before any message", () => {
    const { view, cb, $ } = setup();
    view.render(snapshot());
    expect($("greeting").hidden).toBe(false);
    expect($("greeting").textContent).toBe("Hello!");
    $("minimise").click();
    $("end-chat").click();
    expect(cb.minimise).toHaveBeenCalled();
    expect(cb.endChat).toHaveBeenCalled();
    view.render(snapshot({ conversation: conversation(), messages: [message(1)] }));
    expect($("greeting").hidden).toBe(true);
  });

  it("formats times as local HH:MM", () => {
    expect(formatTime("2024-05-01T07:03:00")).toBe("07:03");
    expect(formatTime("garbage")).toBe("");
  });
});
