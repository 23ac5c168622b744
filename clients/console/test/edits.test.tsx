import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import { applyMessageUpdate, insertEmoji, mayChange, quoteLine } from "../src/state/edits";
import { initialState, reducer as reduce } from "../src/state/store";
import type { Message } from "../src/types";
import { ChatView } from "../src/ui/ChatView";
import { conversation, json, message, routedFetch, tokens } from "./fakes";

afterEach(cleanup);

const mine = (seq: number, overrides: Partial<Message> = {}) =>
  message(seq, { sender_type: "operator", sender_id: "u1", sender_name: "Olga", ...overrides });

describe("message edits in the console's state", () => {
  it("an edit replaces the message in place; an older copy arriving late changes nothing", () => {
    const list = [message(1), mine(2)];
    const edited = applyMessageUpdate(list, mine(2, { text: "fixed", revision: 1, edited_at: "2030-01-01T10:01:00Z" }));
    expect(edited.map((m) => m.text)).toEqual(["message 1", "fixed"]);
    expect(applyMessageUpdate(edited, mine(2, { revision: 0 }))).toBe(edited);
    expect(applyMessageUpdate([], mine(3, { revision: 1 })).map((m) => m.seq)).toEqual([3]);
  });

  it("the reducer applies message.updated to its conversation only", () => {
    let state = reduce(initialState, { type: "messages.loaded", conversationId: "c1", messages: [message(1), mine(2)] });
    const before = state.messages.c1;
    state = reduce(state, { type: "message.updated", message: mine(2, { text: "", revision: 1, retracted_at: "x" }) });
    expect(state.messages.c1[1].retracted_at).toBe("x");
    expect(state.messages.c1[0]).toBe(before[0]);
    expect(reduce(state, { type: "message.updated", message: mine(2, { revision: 1 }) })).toBe(state);
  });

  it("who may change what, quotes and emoji", () => {
    expect(mayChange(mine(1), "u1", false)).toBe(true);
    expect(mayChange(mine(1), "u2", false)).toBe(false);
    expect(mayChange(mine(1), "u2", true)).toBe(true);
    expect(mayChange(message(1), "u2", true)).toBe(false); // a visitor's: nobody
    expect(mayChange(mine(1, { retracted_at: "x" }), "u1", false)).toBe(false);
    expect(quoteLine(mine(1, { retracted_at: "x", text: "" }))).toBe("Olga: message deleted");
    expect(insertEmoji("ok", 2, 2, "👍")).toEqual({ text: "ok👍", caret: 4 });
  });
});

function apiFor(role: "operator" | "supervisor") {
  const { fetch, calls } = routedFetch((r) => {
    if (r.method === "GET" && r.path.endsWith("/history"))
      return json({
        message: mine(2),
        versions: [
          { revision: 0, action: "created", text: "It is 100 EUR", by_type: "operator", by_id: "u1", by_name: "Olga", at: "2030-01-01T10:00:02Z" },
          { revision: 1, action: "edited", text: "It is 10 EUR", by_type: "operator", by_id: "u1", by_name: "Olga", at: "2030-01-01T10:01:00Z" },
        ],
      });
    return undefined;
  });
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: { ...t.user, role }, accounts: [] });
  return { api: new ApiClient({ fetch, store }), calls };
}

/** The chat view with its messages held in React state, changed as the controller would on the server's answer. */
function Harness(props: { manager: boolean; onSend: (text: string, quote?: number) => boolean; api: ApiClient }) {
  const [messages, setMessages] = useState<Message[]>([message(1, { text: "Price?" }), mine(2, { text: "It is 100 EUR" })]);
  const change = async (id: string, text: string | null) => {
    const held = messages.find((m) => m.id === id)!;
    const next = text === null ? { text: "", retracted_at: "2030-01-01T10:02:00Z" } : { text, edited_at: "2030-01-01T10:01:00Z" };
    setMessages((list) => applyMessageUpdate(list, { ...held, ...next, revision: (held.revision ?? 0) + 1 }));
    return true;
  };
  return (
    <ChatView
      conversation={conversation({ state: "active", assigned_user_id: "u1" })}
      messages={messages}
      pending={[]}
      visitor={undefined}
      canWrite
      now={Date.parse("2030-01-01T10:03:00Z")}
      onAccept={vi.fn()}
      onClose={vi.fn()}
      onSend={props.onSend}
      onRetry={vi.fn()}
      onDiscard={vi.fn()}
      editing={{ api: props.api, userId: "u1", manager: props.manager, change }}
    />
  );
}

const q = (selector: string) => document.querySelector<HTMLElement>(selector);
const text = (seq: number) => q(`[data-fw="message"][data-seq="${seq}"] .text`)?.textContent;

describe("editing in the chat view", { timeout: 20_000 }, () => {
  it("the author edits and deletes their message; a manager opens its history", async () => {
    const user = userEvent.setup({ delay: null });
    const { api } = apiFor("supervisor");
    render(<Harness manager onSend={vi.fn(() => true)} api={api} />);
    expect(q('[data-seq="1"] [data-fw="message-edit-open"]')).toBeNull(); // a visitor's message
    await user.click(q('[data-seq="2"] [data-fw="message-edit-open"]')!);
    const input = q('[data-fw="message-edit-input"]') as HTMLTextAreaElement;
    await user.clear(input);
    await user.type(input, "It is 10 EUR");
    await user.click(q('[data-fw="message-edit-save"]')!);
    await waitFor(() => expect(text(2)).toBe("It is 10 EUR"));
    await user.click(q('[data-seq="2"] [data-fw="edited"]')!);
    await waitFor(() => expect(document.querySelectorAll('[data-fw="version"]')).toHaveLength(2));
    expect(q('[data-fw="versions"]')!.textContent).toContain("It is 100 EUR");
    vi.spyOn(window, "confirm").mockReturnValue(true);
    await user.click(q('[data-seq="2"] [data-fw="message-delete"]')!);
    await waitFor(() => expect(text(2)).toBe("message deleted"));
  });

  it("reply quotes a message in the next one, and the emoji picker types into the composer", async () => {
    const user = userEvent.setup({ delay: null });
    const onSend = vi.fn((_text: string, _quote?: number) => true);
    render(<Harness manager={false} onSend={onSend} api={apiFor("operator").api} />);
    await user.click(q('[data-seq="1"] [data-fw="message-reply"]')!);
    expect(q('[data-fw="replying"]')!.textContent).toContain("Visitor: Price?");
    await user.type(q('[data-fw="chat-input"]')!, "It is on sale");
    await user.click(q('[data-fw="emoji-toggle"]')!);
    await user.click(document.querySelectorAll<HTMLElement>('[data-fw="emoji"]')[8]);
    expect((q('[data-fw="chat-input"]') as HTMLTextAreaElement).value).toBe("It is on sale👍");
    await user.click(q('[data-fw="chat-send"]')!);
    expect(onSend).toHaveBeenCalledWith("It is on sale👍", 1);
    expect(q('[data-fw="replying"]')).toBeNull();
    expect(q('[data-seq="2"] [data-fw="edited"]')).toBeNull();
  });
});
