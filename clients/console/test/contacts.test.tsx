import { act, cleanup, screen, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../src/api/client";
import { historyParams, prechatProblem } from "../src/api/contacts";
import { storageSessionStore } from "../src/api/tokens";
import type { ConversationNote, ServerFrame } from "../src/types";
import { PrechatEditor } from "../src/ui/admin/PrechatEditor";
import { CustomerCard } from "../src/ui/chat/CustomerCard";
import { NotesPanel } from "../src/ui/chat/NotesPanel";
import { dayAfter, HistoryScreen } from "../src/ui/history/HistoryScreen";
import { conversation, json, routedFetch, tokens } from "./fakes";

afterEach(cleanup);

type Request = { method: string; path: string; body: unknown };

function apiWith(route: (r: Request) => Response | undefined) {
  const { fetch, calls } = routedFetch(route);
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: t.user, accounts: [] });
  return { api: new ApiClient({ fetch, store }), calls };
}

const note = (id: string, text: string, at = "2030-01-01T10:00:00Z"): ConversationNote => ({
  id,
  conversation_id: "c1",
  author_id: "u2",
  author_name: "Ivan",
  text,
  created_at: at,
});

const earlier = {
  id: "c0",
  state: "closed",
  created_at: "2029-12-01T10:00:00Z",
  closed_at: "2029-12-01T10:20:00Z",
  operator_name: "Olga",
  first_line: "Where is my <b>parcel</b>?",
};

describe("customer card (CHAT-8)", () => {
  it("shows the contact, the pre-chat answer and earlier chats, each opened to read", async () => {
    const { api } = apiWith((r) => {
      if (r.path === "/api/v1/conversations/c1/contact")
        return json({
          // a contact the site identified, but this visitor only typed its email: not verified
          contact: { id: "k1", name: "Ana <img src=x>", email: "ana@example.com", phone: "+351912345678", identified: true, created_at: "2029-12-01T10:00:00Z", linked_by: "prechat_form", verified: false },
          prechat: { question: "Order number?", answer: "#1234", answered_at: "2030-01-01T09:59:00Z" },
          earlier: [earlier],
        });
      if (r.path === "/api/v1/history/c0")
        return json({
          conversation: earlier,
          messages: [{ seq: 1, sender_type: "visitor", sender_name: null, text: "Where is my <b>parcel</b>?", created_at: earlier.created_at }],
          notes: [note("n0", "Sent again on Monday")],
        });
      return undefined;
    });
    const { container } = render(<CustomerCard api={api} conversation={conversation({ id: "c1" })} />);
    expect(await screen.findByText("ana@example.com")).toBeTruthy();
    expect(screen.getByText("Ana <img src=x>")).toBeTruthy(); // text, never HTML
    expect(container.querySelector("img, b")).toBeNull();
    expect(screen.getByText("+351912345678")).toBeTruthy();
    expect(screen.getByText(/not verified/)).toBeTruthy();
    expect(screen.getByText("Order number?").nextSibling?.textContent).toBe("#1234");
    await userEvent.click(container.querySelector<HTMLElement>('[data-fw="card-earlier-chat"]')!);
    const read = await screen.findByText("Sent again on Monday");
    expect(read.closest('[data-fw="transcript"]')?.getAttribute("data-conversation-id")).toBe("c0");
    expect(container.querySelectorAll('[data-fw="transcript-message"]').length).toBe(1);
  });

  it("says when the site identified this visitor", async () => {
    const contact = { id: "k1", name: "Ana", email: null, phone: null, identified: true, created_at: "2029-12-01T10:00:00Z", linked_by: "site", verified: true };
    const { api } = apiWith((r) => (r.path.endsWith("/contact") ? json({ contact, prechat: null, earlier: [] }) : undefined));
    render(<CustomerCard api={api} conversation={conversation({ id: "c1" })} />);
    expect(await screen.findByText(/identified by the site/)).toBeTruthy();
    expect(screen.queryByText(/not verified/)).toBeNull();
  });

  it("says when the site named this visitor without a signature", async () => {
    const contact = { id: "k1", name: "Ana", email: null, phone: null, identified: true, created_at: "2029-12-01T10:00:00Z", linked_by: "site", verified: false };
    const { api } = apiWith((r) => (r.path.endsWith("/contact") ? json({ contact, prechat: null, earlier: [] }) : undefined));
    render(<CustomerCard api={api} conversation={conversation({ id: "c1" })} />);
    expect(await screen.findByText(/named by the site, unsigned: not verified/)).toBeTruthy();
    expect(screen.queryByText(/typed by the visitor/)).toBeNull();
  });

  it("says when the visitor is nobody known yet", async () => {
    const { api } = apiWith((r) => (r.path.endsWith("/contact") ? json({ contact: null, prechat: null, earlier: [] }) : undefined));
    render(<CustomerCard api={api} conversation={conversation({ id: "c1" })} />);
    expect(await screen.findByText(/Not known yet/)).toBeTruthy();
    expect(screen.getByText("No earlier conversations.")).toBeTruthy();
  });
});

describe("internal notes (OPS-5)", () => {
  it("lists, adds, and hears a colleague's note live, once", async () => {
    const listeners: Array<(event: { type: string; frame?: ServerFrame }) => void> = [];
    const frames = { on: (l: (event: { type: string; frame?: ServerFrame }) => void) => (listeners.push(l), () => undefined) };
    const { api, calls } = apiWith((r) => {
      if (r.method === "GET" && r.path === "/api/v1/conversations/c1/notes") return json({ notes: [note("n1", "VIP")] });
      if (r.method === "POST" && r.path === "/api/v1/conversations/c1/notes")
        return json(note("n2", (r.body as { text: string }).text, "2030-01-01T10:05:00Z"), 201);
      return undefined;
    });
    const { container } = render(<NotesPanel api={api} conversationId="c1" frames={frames} />);
    expect(await screen.findByText("VIP")).toBeTruthy();
    await userEvent.type(container.querySelector<HTMLTextAreaElement>('[data-fw="note-input"]')!, "<script>no</script> credit");
    await userEvent.click(container.querySelector<HTMLButtonElement>('[data-fw="note-add"]')!);
    await screen.findByText("<script>no</script> credit");
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([{ text: "<script>no</script> credit" }]);
    act(() => {
      for (const l of listeners) {
        l({ type: "frame", frame: { type: "conversation.note", note: note("n3", "from Ivan", "2030-01-01T10:06:00Z") } });
        l({ type: "frame", frame: { type: "conversation.note", note: note("n3", "from Ivan", "2030-01-01T10:06:00Z") } });
        l({ type: "frame", frame: { type: "conversation.note", note: { ...note("n4", "elsewhere"), conversation_id: "c9" } } });
      }
    });
    expect([...container.querySelectorAll('[data-fw="note"] .text')].map((n) => n.textContent)).toEqual([
      "VIP",
      "<script>no</script> credit",
      "from Ivan",
    ]);
    expect(container.querySelector("script")).toBeNull();
  });

  it("refuses a note over 4096 bytes before sending it", async () => {
    const { api, calls } = apiWith((r) => (r.method === "GET" ? json({ notes: [] }) : undefined));
    const { container } = render(<NotesPanel api={api} conversationId="c1" />);
    const input = container.querySelector<HTMLTextAreaElement>('[data-fw="note-input"]')!;
    await userEvent.click(input);
    await userEvent.paste("é".repeat(2049));
    expect(container.querySelector<HTMLButtonElement>('[data-fw="note-add"]')!.disabled).toBe(true);
    expect(screen.getByText(/At most 4096 bytes/)).toBeTruthy();
    expect(calls.filter((c) => c.method === "POST")).toEqual([]);
  });
});

describe("history of closed chats (OPS-3)", () => {
  it("searches by visitor, text, operator and days, and opens a transcript", async () => {
    const { api, calls } = apiWith((r) => {
      if (r.path.startsWith("/api/v1/history?") || r.path === "/api/v1/history")
        return json({ conversations: [{ ...earlier, visitor_name: "Ana" }], total: 1, offset: 0, limit: 25 });
      if (r.path === "/api/v1/history/c0") return json({ conversation: earlier, messages: [], notes: [] });
      return undefined;
    });
    const { container } = render(<HistoryScreen api={api} operators={[{ id: "u7", name: "Olga" }]} />);
    expect(await screen.findByText("1 closed chat")).toBeTruthy();
    await userEvent.type(container.querySelector<HTMLInputElement>('[data-fw="history-visitor"]')!, "ana");
    await userEvent.type(container.querySelector<HTMLInputElement>('[data-fw="history-text"]')!, "parcel 100%");
    await userEvent.selectOptions(container.querySelector<HTMLSelectElement>('[data-fw="history-operator"]')!, "u7");
    await userEvent.click(container.querySelector<HTMLButtonElement>('[data-fw="history-go"]')!);
    await waitFor(() => expect(calls.length).toBe(2));
    const url = new URL(`http://x${calls[1].path}`);
    expect(url.searchParams.get("visitor")).toBe("ana");
    expect(url.searchParams.get("q")).toBe("parcel 100%");
    expect(url.searchParams.get("operator_id")).toBe("u7");
    expect(url.searchParams.get("offset")).toBe("0");
    await userEvent.click(container.querySelector<HTMLElement>('[data-fw="history-result"]')!);
    expect(await screen.findByText("No messages.")).toBeTruthy();
  });

  it("builds its queries and days", () => {
    expect(historyParams({ visitor: " ", q: "a&b", limit: 25 })).toBe("?q=a%26b&limit=25");
    expect(historyParams({})).toBe("");
    expect(dayAfter("2030-12-31")).toBe("2031-01-01");
  });
});

describe("pre-chat form editor (EMB-5)", () => {
  it("saves the fields and asks for the question's text when the question is on", async () => {
    const { api, calls } = apiWith((r) => {
      if (r.method === "GET") return json({ site_id: "s1", fields: { name: "off", email: "off", phone: "off", question: "off", question_label: null } });
      if (r.method === "PUT") return json({ site_id: "s1", fields: r.body });
      return undefined;
    });
    const { container } = render(<PrechatEditor api={api} siteId="s1" />);
    const select = (key: string) => {
      const found = container.querySelector<HTMLSelectElement>(`[data-fw="prechat-mode-${key}"]`);
      if (!found) throw new Error("not loaded yet");
      return found;
    };
    const mode = async (key: string, value: string) => userEvent.selectOptions(await waitFor(() => select(key)), value);
    await mode("name", "required");
    await mode("email", "optional");
    await mode("question", "optional");
    const save = container.querySelector<HTMLButtonElement>('[data-fw="prechat-save"]')!;
    expect(save.disabled).toBe(true);
    expect(screen.getByText("Write the question to ask.")).toBeTruthy();
    await userEvent.type(container.querySelector<HTMLInputElement>('[data-fw="prechat-question-label"]')!, "Order number?");
    await userEvent.click(save);
    await screen.findByText(/Saved/);
    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.path).toBe("/api/v1/prechat-forms?site_id=s1");
    expect(put.body).toEqual({ name: "required", email: "optional", phone: "off", question: "optional", question_label: "Order number?" });
    expect(prechatProblem({ name: "off", email: "off", phone: "off", question: "required", question_label: "x".repeat(201) })).toMatch(/at most/);
  });
});
