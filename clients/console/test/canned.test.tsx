import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { expandPlaceholders, findCanned, type CannedIn, type CannedResponse } from "../src/api/canned";
import { ApiClient } from "../src/api/client";
import type { Material, MaterialIn } from "../src/api/materials";
import { storageSessionStore } from "../src/api/tokens";
import type { Role } from "../src/types";
import { CannedAdmin } from "../src/ui/admin/CannedAdmin";
import { MaterialsAdmin } from "../src/ui/admin/MaterialsAdmin";
import { ChatView } from "../src/ui/ChatView";
import { Materials } from "../src/ui/chat/Materials";
import { conversation, json, routedFetch, tokens } from "./fakes";

const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
const el = (fw: string) => {
  const found = q(`[data-fw="${fw}"]`);
  if (!found) throw new Error(`no [data-fw="${fw}"]`);
  return found;
};
const input = () => el("chat-input") as HTMLTextAreaElement;
const options = () => all('[data-fw="canned-option"]').map((o) => o.dataset.shortcut);
const selected = () => q('[data-fw="canned-option"][aria-selected="true"]')?.dataset.shortcut;

afterEach(cleanup);

const STAMP = "2030-01-01T10:00:00Z";

/** A fake of chat's canned responses and materials endpoints, as the server keeps them. */
class Server {
  canned: CannedResponse[] = [];
  materials: Material[] = [];
  private count = 0;

  addCanned(body: CannedIn): CannedResponse {
    this.count += 1;
    const made = { ...body, shortcut: body.shortcut.toLowerCase(), id: `k${this.count}`, created_at: STAMP, updated_at: STAMP };
    this.canned.push(made);
    return made;
  }

  addMaterial(body: MaterialIn): Material {
    this.count += 1;
    const made = { ...body, id: `m${this.count}`, created_at: STAMP, updated_at: STAMP };
    this.materials.push(made);
    return made;
  }

  route = (r: { method: string; path: string; body: unknown }): Response | undefined => {
    const url = new URL(r.path, "http://x");
    const queueId = url.searchParams.get("queue_id");
    const every = url.searchParams.get("all") === "true";
    const inScope = (item: { queue_id: string | null }) => every || item.queue_id === null || item.queue_id === queueId;
    if (r.method === "GET" && url.pathname === "/api/v1/queues")
      return json({ queues: [{ id: "q1", name: "Sales" }] });
    if (r.method === "GET" && url.pathname === "/api/v1/canned-responses")
      return json({ canned_responses: this.canned.filter(inScope) });
    if (r.method === "GET" && url.pathname === "/api/v1/materials")
      return json({ materials: this.materials.filter(inScope) });
    if (r.method === "POST" && url.pathname === "/api/v1/canned-responses") {
      const body = r.body as CannedIn;
      if (this.canned.some((c) => c.shortcut === body.shortcut.toLowerCase() && c.queue_id === body.queue_id))
        return json({ error: { code: "shortcut_taken", message: "Another canned response has this shortcut." } }, 409);
      return json(this.addCanned(body), 201);
    }
    if (r.method === "POST" && url.pathname === "/api/v1/materials")
      return json(this.addMaterial(r.body as MaterialIn), 201);
    const match = /^\/api\/v1\/(canned-responses|materials)\/([^/]+)$/.exec(url.pathname);
    if (!match) return undefined;
    const [, kind, id] = match;
    const list: Array<{ id: string }> = kind === "materials" ? this.materials : this.canned;
    const index = list.findIndex((item) => item.id === id);
    if (index < 0) return json({ error: { code: "not_found", message: "No such thing." } }, 404);
    if (r.method === "PUT") {
      list[index] = { ...list[index], ...(r.body as object) };
      return json(list[index]);
    }
    if (r.method === "DELETE") {
      list.splice(index, 1);
      return new Response(null, { status: 204 });
    }
    return undefined;
  };
}

function apiFor(server: Server, role: Role = "operator") {
  const { fetch, calls } = routedFetch(server.route);
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: { ...t.user, role }, accounts: [] });
  return { api: new ApiClient({ fetch, store }), calls };
}

function withResponses(): Server {
  const server = new Server();
  server.addCanned({ shortcut: "greeting", title: "Hello", text: "Hello {visitor.name}, I am {operator.name}.", queue_id: null });
  server.addCanned({ shortcut: "goodbye", title: "Bye", text: "Thanks for visiting!", queue_id: null });
  server.addCanned({ shortcut: "price", title: "Prices", text: "<b>Prices</b> are on the site", queue_id: "q1" });
  server.addCanned({ shortcut: "refund", title: "Refunds", text: "Refunds take 5 days", queue_id: "q2" });
  return server;
}

function chat(server: Server, onSend = vi.fn(() => true)) {
  const { api, calls } = apiFor(server);
  render(
    <ChatView
      conversation={conversation({ state: "active", assigned_user_id: "u1", queue_id: "q1" })}
      messages={[]}
      pending={[]}
      visitor={undefined}
      canWrite
      now={Date.parse(STAMP)}
      onAccept={vi.fn()}
      onClose={vi.fn()}
      onSend={onSend}
      onRetry={vi.fn()}
      onDiscard={vi.fn()}
      canned={{ api, queueId: "q1", visitorName: "Alice", operatorName: "Olga" }}
      materials={<Materials api={api} queueId="q1" />}
    />,
  );
  return { calls, onSend, user: userEvent.setup({ delay: null }) };
}

describe("the / picker of the composer", { timeout: 20_000 }, () => {
  it("opens on /, filters as the operator types, and Enter inserts the text with its placeholders filled in", async () => {
    const { calls, onSend, user } = chat(withResponses());
    expect(q('[data-fw="canned-picker"]')).toBeNull();
    await user.type(input(), "/");
    await waitFor(() => expect(options()).toEqual(["greeting", "goodbye", "price"])); // not another queue's
    expect(calls.find((c) => c.path.startsWith("/api/v1/canned-responses"))?.path).toBe(
      "/api/v1/canned-responses?queue_id=q1",
    );
    await user.type(input(), "gre");
    await waitFor(() => expect(options()).toEqual(["greeting"]));
    await user.keyboard("{Enter}");
    expect(input().value).toBe("Hello Alice, I am Olga.");
    expect(q('[data-fw="canned-picker"]')).toBeNull();
    expect(onSend).not.toHaveBeenCalled(); // inserted, not sent: the operator may still edit it
    await user.keyboard("{Enter}");
    expect(onSend).toHaveBeenCalledWith("Hello Alice, I am Olga.");
  });

  it("moves with the arrow keys, closes on Escape, and keeps the text as text", async () => {
    const { onSend, user } = chat(withResponses());
    await user.type(input(), "/");
    await waitFor(() => expect(options()).toHaveLength(3));
    expect(selected()).toBe("greeting");
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(selected()).toBe("price");
    await user.keyboard("{ArrowDown}");
    expect(selected()).toBe("greeting"); // wraps
    await user.keyboard("{ArrowUp}{Enter}");
    expect(input().value).toBe("<b>Prices</b> are on the site");

    await user.clear(input());
    await user.type(input(), "/zzz");
    await waitFor(() => expect(q('[data-fw="canned-none"]')).not.toBeNull());
    await user.keyboard("{Escape}");
    expect(q('[data-fw="canned-picker"]')).toBeNull();
    await user.keyboard("{Enter}"); // no picker: Enter sends as typed
    expect(onSend).toHaveBeenCalledWith("/zzz");
    expect(q("b")).toBeNull();
  });

  it("finds by shortcut first, then by title or text; fills only its two placeholders", () => {
    const list = withResponses().canned;
    expect(findCanned(list, "pr").map((c) => c.shortcut)).toEqual(["price"]);
    expect(findCanned(list, "THANKS").map((c) => c.shortcut)).toEqual(["goodbye"]);
    expect(findCanned(list, "re").map((c) => c.shortcut)).toEqual(["refund", "greeting", "price"]);
    expect(expandPlaceholders("{visitor.name}/{operator.name}/{other}", { visitorName: "A", operatorName: "B" })).toBe(
      "A/B/{other}",
    );
  });
});

describe("the materials of a chat", { timeout: 20_000 }, () => {
  it("lists the account's and the queue's; links only when http(s), texts as text", async () => {
    const server = new Server();
    server.addMaterial({ kind: "link", title: "Price list", url: "https://shop.example/p", text: null, queue_id: null, campaign: null });
    server.addMaterial({ kind: "script", title: "Returns", text: "<i>Ask</i> for the order", url: null, queue_id: "q1", campaign: null });
    server.addMaterial({ kind: "link", title: "Bad", url: "javascript:alert(1)", text: null, queue_id: null, campaign: null });
    server.addMaterial({ kind: "link", title: "Other queue", url: "https://x.example", text: null, queue_id: "q2", campaign: null });
    chat(server);
    await waitFor(() => expect(all('[data-fw="material"]')).toHaveLength(3));
    const links = all('[data-fw="material-link"]') as HTMLAnchorElement[];
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["https://shop.example/p"]);
    expect(links[0].rel).toContain("noopener");
    expect(el("material-text").textContent).toBe("<i>Ask</i> for the order");
    expect(q("i")).toBeNull();
  });
});

describe("the administration of canned responses and materials", { timeout: 20_000 }, () => {
  it("creates, edits and deletes canned responses, showing the server's refusal", async () => {
    const server = withResponses();
    const { api, calls } = apiFor(server, "supervisor");
    const user = userEvent.setup({ delay: null });
    render(<CannedAdmin api={api} />);
    await waitFor(() => expect(all('[data-fw="canned-row"]')).toHaveLength(4));
    expect(calls[0].path).toBe("/api/v1/canned-responses?all=true");

    await user.click(el("canned-new"));
    await user.type(el("canned-shortcut"), "/greeting");
    await user.type(el("canned-title"), "Again");
    await user.type(el("canned-text"), "Hi");
    await user.click(el("canned-save"));
    await waitFor(() => expect(el("canned-form-error").textContent).toContain("shortcut"));
    await user.clear(el("canned-shortcut"));
    await user.type(el("canned-shortcut"), "welcome");
    await waitFor(() => expect((el("canned-queue") as HTMLSelectElement).options).toHaveLength(2));
    await user.selectOptions(el("canned-queue"), "q1");
    await user.click(el("canned-save"));
    await waitFor(() => expect(all('[data-fw="canned-row"]')).toHaveLength(5));
    expect(server.canned.at(-1)).toMatchObject({ shortcut: "welcome", title: "Again", text: "Hi", queue_id: "q1" });

    const row = all('[data-fw="canned-row"]').find((r) => r.dataset.shortcut === "goodbye");
    await user.click(row?.querySelector('[data-fw="canned-edit"]') as HTMLElement);
    expect((el("canned-text") as HTMLTextAreaElement).value).toBe("Thanks for visiting!");
    await user.clear(el("canned-text"));
    await user.type(el("canned-text"), "See you soon");
    await user.click(el("canned-save"));
    await waitFor(() => expect(q('[data-fw="canned-form"]')).toBeNull());
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.path).toBe("/api/v1/canned-responses/k2");
    expect(put?.body).toEqual({ shortcut: "goodbye", title: "Bye", text: "See you soon", queue_id: null });

    const refund = all('[data-fw="canned-row"]').find((r) => r.dataset.shortcut === "refund");
    await user.click(refund?.querySelector('[data-fw="canned-delete"]') as HTMLElement);
    await waitFor(() => expect(all('[data-fw="canned-row"]')).toHaveLength(4));
  });

  it("creates a material with only the fields its kind takes, and edits it", async () => {
    const server = new Server();
    const { api, calls } = apiFor(server, "admin");
    const user = userEvent.setup({ delay: null });
    render(<MaterialsAdmin api={api} />);
    await waitFor(() => expect(q('[data-fw="material-new"]')).not.toBeNull());
    await user.click(el("material-new"));
    await user.selectOptions(el("material-kind"), "script");
    expect(q('[data-fw="material-url"]')).toBeNull();
    await user.type(el("material-title"), "Returns");
    await user.type(el("material-text-input"), "Ask for the order number");
    await user.type(el("material-campaign"), "winter");
    await user.click(el("material-save"));
    await waitFor(() => expect(all('[data-fw="material-row"]')).toHaveLength(1));
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({
      kind: "script",
      title: "Returns",
      url: null,
      text: "Ask for the order number",
      queue_id: null,
      campaign: "winter",
    });

    await user.click(el("material-edit"));
    await user.selectOptions(el("material-kind"), "link");
    expect(q('[data-fw="material-text-input"]')).toBeNull();
    await user.type(el("material-url"), "https://shop.example/returns");
    await user.click(el("material-save"));
    await waitFor(() => expect(server.materials[0].kind).toBe("link"));
    expect(server.materials[0]).toMatchObject({ url: "https://shop.example/returns", text: null });
  });
});
