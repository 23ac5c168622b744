import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SiteDetail, Team } from "../src/api/admin";
import { ApiClient, ApiError } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import { copyText, domainProblem, errorText, originProblem } from "../src/lib/admin";
import type { Role } from "../src/types";
import { OperatorsAdmin } from "../src/ui/admin/OperatorsAdmin";
import { SitesAdmin } from "../src/ui/admin/SitesAdmin";
import { ConsoleView } from "../src/ui/ConsoleView";
import { FakeSocket, json, routedFetch, tokens } from "./fakes";

const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
const texts = (selector: string) => all(selector).map((e) => e.dataset.value ?? e.textContent);

beforeEach(() => {
  FakeSocket.instances = [];
});
afterEach(cleanup);

const SNIPPET = '<script src="https://chat.example/widget.js" data-site="key-1" async></script>';

function site(overrides: Partial<SiteDetail> = {}): SiteDetail {
  return {
    id: "s1",
    account_id: "a1",
    name: "Demo shop",
    site_key: "key-1",
    domains: ["shop.example"],
    allowed_origins: ["https://shop.example"],
    embed_snippet: SNIPPET,
    secret: null,
    ...overrides,
  };
}

function apiWith(route: Parameters<typeof routedFetch>[0], role: Role = "admin") {
  const { fetch, calls } = routedFetch(route);
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: { ...t.user, role }, accounts: [] });
  return { api: new ApiClient({ fetch, store }), calls };
}

const conflict = (code: string, message: string, status = 409) => json({ error: { code, message } }, status);

describe("origin and domain checks", () => {
  it("takes scheme://host[:port] and says what is wrong with anything else", () => {
    expect(originProblem("https://shop.example")).toBeNull();
    expect(originProblem(" http://localhost:8443/ ")).toBeNull();
    expect(originProblem("shop.example")).toBe("Write it with its scheme: https://shop.example");
    expect(originProblem("https://shop.example/cart")).toContain("no path: https://shop.example allows");
    expect(originProblem("https://shop.example/?q=1")).toContain("no path");
    expect(originProblem("ftp://shop.example")).toContain("https:// or http://");
    expect(originProblem("https://me:pw@shop.example")).toContain("no user name");
    expect(originProblem("")).toContain("Enter an origin");
    expect(domainProblem("shop.example")).toBeNull();
    expect(domainProblem("https://shop.example")).toContain("host name alone");
    expect(domainProblem("  ")).toContain("Enter a domain");
  });

  it("shows a 422's field messages without pydantic's prefix, else the server's message", () => {
    const invalid = new ApiError(422, "validation_error", "Invalid request: origin.", [
      { field: "origin", message: "Value error, 'x' is not an origin", type: "value_error" },
    ]);
    expect(errorText(invalid)).toBe("'x' is not an origin");
    expect(errorText(new ApiError(409, "origin_exists", "https://a.example is already allowed."))).toBe(
      "https://a.example is already allowed.",
    );
    expect(errorText(new ApiError(403, "insufficient_role", "This needs the role admin."))).toBe(
      "Only an admin can change this.",
    );
  });
});

describe("copying", () => {
  it("uses the clipboard, falls back to a selected text area, and says when neither works", async () => {
    const writeText = vi.fn(async () => undefined);
    expect(await copyText("one", { clipboard: { writeText } })).toBe("clipboard");
    expect(writeText).toHaveBeenCalledWith("one");

    const copied: string[] = [];
    const execCommand = vi.fn(() => {
      const area = document.querySelector("textarea");
      copied.push(area && area.selectionEnd - area.selectionStart === area.value.length ? area.value : "");
      return true;
    });
    Object.defineProperty(document, "execCommand", { value: execCommand, configurable: true });
    const refused = { writeText: vi.fn(async () => Promise.reject(new Error("denied"))) };
    expect(await copyText("two", { clipboard: refused })).toBe("fallback");
    expect(execCommand).toHaveBeenCalledWith("copy");
    expect(copied).toEqual(["two"]);
    expect(document.querySelector("textarea")).toBeNull(); // cleaned up

    execCommand.mockReturnValue(false);
    expect(await copyText("three", { clipboard: null })).toBe("failed");
  });
});

describe("sites screen", () => {
  function setup(overrides: Record<string, (body: unknown) => Response> = {}) {
    let current = site();
    const { api, calls } = apiWith((r) => {
      const key = `${r.method} ${r.path}`;
      if (overrides[key]) return overrides[key](r.body);
      if (key === "GET /api/v1/sites") return json({ sites: [current, site({ id: "s2", name: "Blog" })] });
      if (key === "POST /api/v1/sites/s1/origins") {
        const origin = (r.body as { origin: string }).origin.replace(/\/$/, "");
        current = { ...current, allowed_origins: [...current.allowed_origins, origin].sort() };
        return json(current, 201);
      }
      if (key === "DELETE /api/v1/sites/s1/origins") {
        const { origin } = r.body as { origin: string };
        if (current.allowed_origins.length === 1)
          return conflict("last_origin", `${origin} is the site's only allowed origin: add another first.`);
        current = { ...current, allowed_origins: current.allowed_origins.filter((o) => o !== origin) };
        return json(current);
      }
      if (key === "POST /api/v1/sites/s1/domains") {
        current = { ...current, domains: [...current.domains, (r.body as { domain: string }).domain] };
        return json(current, 201);
      }
      if (r.method === "DELETE" && r.path.startsWith("/api/v1/sites/s1/domains/")) {
        const domain = decodeURIComponent(r.path.split("/").pop() ?? "");
        current = { ...current, domains: current.domains.filter((d) => d !== domain) };
        return json(current);
      }
      if (key === "POST /api/v1/sites/s1/secret") return json({ ...current, secret: "f00d".repeat(12) });
      return undefined;
    });
    return { api, calls };
  }

  it("adds and removes allowed origins one at a time, with clear errors", async () => {
    const user = userEvent.setup();
    const { api, calls } = setup({
      "POST /api/v1/sites/s1/origins": (body) =>
        (body as { origin: string }).origin === "https://shop.example"
          ? conflict("origin_exists", "https://shop.example is already an allowed origin of this site.")
          : json(site({ allowed_origins: ["https://shop.example", "https://www.shop.example"] }), 201),
    });
    render(<SitesAdmin api={api} />);
    await waitFor(() => expect(texts('[data-fw="origin-row"]')).toEqual(["https://shop.example"]));
    expect(texts('[data-fw="site-item"] .item-title')).toEqual(["Demo shop", "Blog"]);

    // Checked before sending: nothing goes out for a URL with a path.
    await user.type(q('[data-fw="origin-input"]') as HTMLElement, "https://www.shop.example/cart");
    await user.click(q('[data-fw="origin-add"]') as HTMLElement);
    expect(q('[data-fw="origin-error"]')?.textContent).toContain("no path");
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.clear(q('[data-fw="origin-input"]') as HTMLElement);
    await user.type(q('[data-fw="origin-input"]') as HTMLElement, "https://www.shop.example");
    await user.click(q('[data-fw="origin-add"]') as HTMLElement);
    await waitFor(() =>
      expect(texts('[data-fw="origin-row"]')).toEqual(["https://shop.example", "https://www.shop.example"]),
    );
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ origin: "https://www.shop.example" });
    expect((q('[data-fw="origin-input"]') as HTMLInputElement).value).toBe("");
    expect(q('[data-fw="origin-error"]')).toBeNull();

    // The server's 409 is shown as it says it.
    await user.type(q('[data-fw="origin-input"]') as HTMLElement, "https://shop.example");
    await user.click(q('[data-fw="origin-add"]') as HTMLElement);
    await waitFor(() =>
      expect(q('[data-fw="origin-error"]')?.textContent).toBe(
        "https://shop.example is already an allowed origin of this site.",
      ),
    );
    expect(texts('[data-fw="origin-row"]')).toHaveLength(2);
  });

  it("removes an origin with the origin in the DELETE's body and shows the last-origin refusal", async () => {
    const user = userEvent.setup();
    const { api, calls } = setup();
    render(<SitesAdmin api={api} />);
    await waitFor(() => expect(texts('[data-fw="origin-row"]')).toHaveLength(1));
    await user.type(q('[data-fw="origin-input"]') as HTMLElement, "http://localhost:8443");
    await user.click(q('[data-fw="origin-add"]') as HTMLElement);
    await waitFor(() => expect(texts('[data-fw="origin-row"]')).toHaveLength(2));
    await user.click(q('[data-fw="origin-row"][data-value="http://localhost:8443"] [data-fw="origin-remove"]')!);
    await waitFor(() => expect(texts('[data-fw="origin-row"]')).toEqual(["https://shop.example"]));
    const removal = calls.find((c) => c.method === "DELETE");
    expect(removal).toMatchObject({ path: "/api/v1/sites/s1/origins", body: { origin: "http://localhost:8443" } });
    await user.click(q('[data-fw="origin-remove"]')!);
    await waitFor(() => expect(q('[data-fw="origin-error"]')?.textContent).toContain("only allowed origin"));
    expect(texts('[data-fw="origin-row"]')).toEqual(["https://shop.example"]);
  });

  it("adds and removes domains, the domain in the path", async () => {
    const user = userEvent.setup();
    const { api, calls } = setup();
    render(<SitesAdmin api={api} />);
    await waitFor(() => expect(texts('[data-fw="domain-row"]')).toEqual(["shop.example"]));
    await user.type(q('[data-fw="domain-input"]') as HTMLElement, "https://www.shop.example");
    await user.click(q('[data-fw="domain-add"]') as HTMLElement);
    expect(q('[data-fw="domain-error"]')?.textContent).toContain("host name alone");
    await user.clear(q('[data-fw="domain-input"]') as HTMLElement);
    await user.type(q('[data-fw="domain-input"]') as HTMLElement, "www.shop.example");
    await user.click(q('[data-fw="domain-add"]') as HTMLElement);
    await waitFor(() => expect(texts('[data-fw="domain-row"]')).toEqual(["shop.example", "www.shop.example"]));
    await user.click(q('[data-fw="domain-row"][data-value="shop.example"] [data-fw="domain-remove"]')!);
    await waitFor(() => expect(texts('[data-fw="domain-row"]')).toEqual(["www.shop.example"]));
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.path)).toEqual([
      "/api/v1/sites/s1/domains/shop.example",
    ]);
  });

  it("shows the embed snippet and copies it", async () => {
    const user = userEvent.setup();
    const { api } = setup();
    const writeText = vi.fn(async () => undefined);
    render(<SitesAdmin api={api} copyEnv={{ clipboard: { writeText } }} />);
    await waitFor(() => expect(q('[data-fw="embed-snippet"]')?.textContent).toBe(SNIPPET));
    await user.click(q('[data-fw="copy-snippet"]') as HTMLElement);
    await waitFor(() => expect(q('[data-fw="copy-snippet-status"]')?.textContent).toBe("Copied."));
    expect(writeText).toHaveBeenCalledWith(SNIPPET);
  });

  it("rotates the secret only after a confirmation and shows the new one once", async () => {
    const user = userEvent.setup();
    const { api, calls } = setup();
    render(<SitesAdmin api={api} />);
    await waitFor(() => expect(q('[data-fw="rotate-secret"]')).not.toBeNull());
    expect(q('[data-fw="site-secret"]')).toBeNull();
    await user.click(q('[data-fw="rotate-secret"]') as HTMLElement);
    await user.click(q('[data-fw="rotate-cancel"]') as HTMLElement);
    expect(calls.some((c) => c.path.endsWith("/secret"))).toBe(false);

    await user.click(q('[data-fw="rotate-secret"]') as HTMLElement);
    expect(q('[data-fw="rotate-confirm"]')?.textContent).toContain("refused at once");
    await user.click(q('[data-fw="rotate-yes"]') as HTMLElement);
    await waitFor(() => expect(q('[data-fw="site-secret"]')?.textContent).toBe("f00d".repeat(12)));
    expect(calls.filter((c) => c.path === "/api/v1/sites/s1/secret").map((c) => c.method)).toEqual(["POST"]);
    await user.click(q('[data-fw="secret-done"]') as HTMLElement);
    expect(q('[data-fw="site-secret"]')).toBeNull();
    expect(document.body.textContent).not.toContain("f00d".repeat(12));
  });
});

describe("operators screen", () => {
  function setup(overrides: Record<string, (body: unknown) => Response> = {}) {
    let team: Team = {
      users: [
        { id: "u1", email: "ana@demo.example", name: "Ana", role: "admin", account_id: "a1" },
        { id: "u2", email: "olga@demo.example", name: "Olga", role: "operator", account_id: "a1" },
      ],
      invitations: [],
    };
    const { api, calls } = apiWith((r) => {
      const key = `${r.method} ${r.path}`;
      if (overrides[key]) return overrides[key](r.body);
      if (key === "GET /api/v1/users") return json(team);
      if (key === "POST /api/v1/users") {
        const body = r.body as { email: string; role: Role };
        const invitation = {
          id: "i1",
          email: body.email,
          role: body.role,
          state: "pending" as const,
          created_at: "2030-01-01T00:00:00Z",
          expires_at: "2030-01-08T00:00:00Z",
        };
        team = { ...team, invitations: [invitation] };
        return json(invitation, 201);
      }
      if (key === "PATCH /api/v1/users/u2") {
        const { role } = r.body as { role: Role };
        team = { ...team, users: team.users.map((u) => (u.id === "u2" ? { ...u, role } : u)) };
        return json(team.users[1]);
      }
      if (key === "DELETE /api/v1/users/u2") {
        team = { ...team, users: team.users.filter((u) => u.id !== "u2") };
        return new Response(null, { status: 204 });
      }
      if (key === "DELETE /api/v1/account-invitations/i1") {
        team = { ...team, invitations: [] };
        return new Response(null, { status: 204 });
      }
      return undefined;
    });
    render(<OperatorsAdmin api={api} userId="u1" />);
    return { calls };
  }
  const roleOf = (email: string) =>
    q(`[data-fw="member-row"][data-email="${email}"] [data-fw="member-role"]`) as HTMLSelectElement;

  it("invites by e-mail, and the invitation is pending until withdrawn", async () => {
    const user = userEvent.setup();
    const { calls } = setup();
    await waitFor(() => expect(all('[data-fw="member-row"]')).toHaveLength(2));
    await user.type(q('[data-fw="invite-email"]') as HTMLElement, "new@demo.example");
    await user.click(q('[data-fw="invite-send"]') as HTMLElement);
    expect(q('[data-fw="invite-error"]')?.textContent).toBe("Enter the person's name.");
    await user.type(q('[data-fw="invite-name"]') as HTMLElement, "Nina");
    await user.selectOptions(q('[data-fw="invite-role"]') as HTMLSelectElement, "supervisor");
    await user.type(q('[data-fw="invite-password"]') as HTMLElement, "first-password");
    await user.click(q('[data-fw="invite-send"]') as HTMLElement);
    await waitFor(() => expect(all('[data-fw="invitation-row"]').map((e) => e.dataset.email)).toEqual(["new@demo.example"]));
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({
      email: "new@demo.example",
      name: "Nina",
      role: "supervisor",
      password: "first-password",
    });
    expect(q('[data-fw="invite-status"]')?.textContent).toContain("new@demo.example");
    await user.click(q('[data-fw="invitation-withdraw"]') as HTMLElement);
    await waitFor(() => expect(all('[data-fw="invitation-row"]')).toHaveLength(0));
  });

  it("changes a role, shows the last-admin refusal and removes a member after confirming", async () => {
    const user = userEvent.setup();
    const { calls } = setup({
      "PATCH /api/v1/users/u1": () => conflict("last_admin", "The account needs at least one admin."),
    });
    await waitFor(() => expect(all('[data-fw="member-row"]')).toHaveLength(2));
    await user.selectOptions(roleOf("olga@demo.example"), "supervisor");
    await waitFor(() => expect(roleOf("olga@demo.example").value).toBe("supervisor"));
    expect(calls.find((c) => c.method === "PATCH")).toMatchObject({ path: "/api/v1/users/u2", body: { role: "supervisor" } });

    await user.selectOptions(roleOf("ana@demo.example"), "operator");
    await waitFor(() =>
      expect(q('[data-fw="member-row"][data-email="ana@demo.example"] [data-fw="member-error"]')?.textContent).toBe(
        "The account needs at least one admin.",
      ),
    );
    expect(roleOf("ana@demo.example").value).toBe("admin"); // as the server has it
    // The admin does not remove themselves here.
    expect(q('[data-fw="member-row"][data-email="ana@demo.example"] [data-fw="member-remove"]')).toBeNull();

    await user.click(q('[data-fw="member-row"][data-email="olga@demo.example"] [data-fw="member-remove"]')!);
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await user.click(q('[data-fw="remove-yes"]') as HTMLElement);
    await waitFor(() => expect(all('[data-fw="member-row"]').map((e) => e.dataset.email)).toEqual(["ana@demo.example"]));
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.path)).toEqual(["/api/v1/users/u2"]);
  });
});

describe("administration tabs", () => {
  function renderConsole(role: Role) {
    const { api } = apiWith((r) => {
      if (r.path.startsWith("/api/v1/conversations")) return json({ conversations: [] });
      if (r.path === "/api/v1/visitors/live") return json({ visitors: [] });
      if (r.path === "/api/v1/sites") return json({ sites: [site()] });
      return undefined;
    }, role);
    const notifier = { beep: vi.fn(), title: vi.fn() };
    render(
      <ConsoleView
        api={api}
        controllerOptions={{ notifier, socket: { createSocket: (url) => new FakeSocket(url) } }}
        onLogout={() => undefined}
      />,
    );
  }

  it("are an admin's only", async () => {
    const user = userEvent.setup();
    renderConsole("operator");
    expect(q('[data-fw="tab-sites"]')).toBeNull();
    expect(q('[data-fw="tab-operators"]')).toBeNull();
    cleanup();
    renderConsole("admin");
    await user.click(q('[data-fw="tab-sites"]') as HTMLElement);
    await waitFor(() => expect(q('[data-fw="embed-snippet"]')?.textContent).toBe(SNIPPET));
    expect(q('[data-fw="tab-operators"]')).not.toBeNull();
  });
});
