import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import type { Segment, SegmentDefinition, SegmentPreview } from "../src/api/segments";
import { storageSessionStore } from "../src/api/tokens";
import { filterVisitors, NO_FILTERS, NO_SEGMENT, segmentsOf } from "../src/lib/filters";
import type { LiveVisitor, Role } from "../src/types";
import { ConsoleView } from "../src/ui/ConsoleView";
import { SegmentsAdmin } from "../src/ui/segments/SegmentsAdmin";
import { VisitorFiltersBar } from "../src/ui/visitors/Filters";
import { VisitorRow } from "../src/ui/visitors/Row";
import { FakeSocket, json, routedFetch, tokens } from "./fakes";
import { RulesAdmin } from "../src/ui/rules/RulesAdmin";
import { apiFor as rulesApiFor, invalid, RulesServer } from "./rulesFake";

const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
const el = (fw: string) => {
  const found = q(`[data-fw="${fw}"]`);
  if (!found) throw new Error(`no [data-fw="${fw}"]`);
  return found;
};
const inRow = (name: string, fw: string) => {
  const row = all('[data-fw="segment-row"]').find((r) => r.textContent?.includes(name));
  const found = row?.querySelector(`[data-fw="${fw}"]`) as HTMLElement | null;
  if (!found) throw new Error(`no ${fw} in the row of ${name}`);
  return found;
};
const order = () => all('[data-fw="segment-edit"]').map((e) => e.textContent);
const errorAt = (fw: string) => q(`[data-fw="field-error"][data-field="${fw}"]`)?.textContent ?? null;

afterEach(cleanup);

const orders = (value: number) => ({ type: "attribute", name: "orders_count", op: "ge", value });

/** A fake segments API: the account's segments in order with versions, as the server keeps them. */
class SegmentsServer {
  segments: Segment[] = [];
  nextSave: Response | null = null;
  preview: SegmentPreview = { live: 0, matching: 0, visitors: [] };
  private count = 0;

  add(definition: SegmentDefinition): Segment {
    this.count += 1;
    const segment: Segment = {
      ...definition,
      id: `g${this.count}`,
      position: this.segments.length,
      version: 1,
      created_at: "2030-01-01T10:00:00Z",
      updated_at: "2030-01-01T10:00:00Z",
    };
    this.segments.push(segment);
    return segment;
  }

  private renumber(): void {
    this.segments = this.segments.map((s, position) => ({ ...s, position }));
  }

  route = (r: { method: string; path: string; body: unknown }): Response | undefined => {
    const key = `${r.method} ${r.path}`;
    if (key === "GET /api/v1/segments") return json({ segments: this.segments });
    if (key === "POST /api/v1/segments/preview") return json(this.preview);
    if ((key === "POST /api/v1/segments" || r.method === "PUT") && this.nextSave) {
      const answer = this.nextSave;
      this.nextSave = null;
      return answer;
    }
    if (key === "POST /api/v1/segments") return json(this.add(r.body as SegmentDefinition), 201);
    const match = /^\/api\/v1\/segments\/([^/]+)(\/move)?$/.exec(r.path);
    if (!match) return undefined;
    const [, id, move] = match;
    const index = this.segments.findIndex((s) => s.id === id);
    if (index < 0) return json({ error: { code: "segment_not_found", message: "No such segment." } }, 404);
    const segment = this.segments[index];
    if (move && r.method === "POST") {
      const others = this.segments.filter((s) => s.id !== id);
      others.splice((r.body as { position: number }).position, 0, { ...segment, version: segment.version + 1 });
      this.segments = others;
      this.renumber();
      return json({ segments: this.segments });
    }
    if (r.method === "PUT") {
      const { version, ...changes } = r.body as { version?: number };
      if (version !== segment.version)
        return json({ error: { code: "version_conflict", message: "The segment was changed meanwhile." } }, 409);
      this.segments[index] = { ...segment, ...changes, version: segment.version + 1 };
      return json(this.segments[index]);
    }
    if (r.method === "DELETE") {
      this.segments.splice(index, 1);
      this.renumber();
      return new Response(null, { status: 204 });
    }
    return undefined;
  };
}

function apiFor(server: SegmentsServer, role: Role = "supervisor") {
  const { fetch, calls } = routedFetch(server.route);
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({
    accessToken: "acc",
    refreshToken: "r",
    expiresAt: Date.now() + 900_000,
    user: { ...t.user, role },
    accounts: [],
  });
  return { api: new ApiClient({ fetch, store }), calls };
}

function withDefaults(): SegmentsServer {
  const server = new SegmentsServer();
  server.add({ name: "Most valuable", description: "5 orders or more", conditions: orders(5) });
  server.add({ name: "Intermediate", description: "", conditions: orders(1) });
  server.add({ name: "Low potential", description: "", conditions: { type: "not", condition: orders(1) } });
  return server;
}

async function setup(server = withDefaults()) {
  const { api, calls } = apiFor(server);
  const user = userEvent.setup({ delay: null });
  render(<SegmentsAdmin api={api} />);
  await waitFor(() => expect(order()).toEqual(server.segments.map((s) => s.name)));
  return { server, calls, user };
}

describe("the account's segments", { timeout: 20_000 }, () => {
  it("are listed in the order they are tested, moved and deleted once confirmed", async () => {
    const { server, user } = await setup();
    expect((inRow("Most valuable", "segment-up") as HTMLButtonElement).disabled).toBe(true);
    await user.click(inRow("Low potential", "segment-up"));
    await waitFor(() => expect(order()).toEqual(["Most valuable", "Low potential", "Intermediate"]));
    await user.click(inRow("Intermediate", "segment-delete"));
    await user.click(el("segment-delete-cancel"));
    expect(server.segments).toHaveLength(3);
    await user.click(inRow("Intermediate", "segment-delete"));
    await user.click(el("segment-delete-yes"));
    await waitFor(() => expect(order()).toEqual(["Most valuable", "Low potential"]));
  });

  it("are edited with the rules' condition tree, the server's 422 shown at its field, then saved with the version", async () => {
    const { server, calls, user } = await setup();
    await user.click(inRow("Most valuable", "segment-edit"));
    expect(el("segment-editor").dataset.segmentId).toBe("g1");
    await user.click(el("c-group-or"));
    await user.selectOptions(el("c-add-type"), "visit_count");
    await user.click(el("c-add"));
    await user.clear(el("c.1-value"));
    await user.type(el("c.1-value"), "10");
    server.nextSave = invalid([
      { field: "conditions.or.conditions.1.visit_count.value", message: "Input should be less than 9", type: "x" },
    ]);
    await user.click(el("segment-save"));
    await waitFor(() => expect(errorAt("c.1-value")).toContain("less than 9"));
    expect(server.segments[0].version).toBe(1);

    await user.clear(el("c.1-value"));
    await user.type(el("c.1-value"), "8");
    await user.click(el("segment-save"));
    await waitFor(() => expect(server.segments[0].version).toBe(2));
    const put = calls.filter((c) => c.method === "PUT").at(-1);
    expect(put?.body).toEqual({
      name: "Most valuable",
      description: "5 orders or more",
      conditions: { type: "or", conditions: [orders(5), { type: "visit_count", op: "ge", value: 8 }] },
      version: 1,
    });
  });

  it("are created new, and preview which live visitors match now and where they are", async () => {
    const { server, calls, user } = await setup();
    server.preview = {
      live: 2,
      matching: 1,
      visitors: [
        {
          visitor_id: "visitor-0001",
          site_id: "s1",
          current_url: "https://shop/tv",
          current_title: "TVs",
          segment_id: "g2",
          segment_name: "Intermediate",
          matched: true,
        },
        {
          visitor_id: "visitor-0002",
          site_id: "s1",
          current_url: "https://shop/",
          current_title: null,
          segment_id: null,
          segment_name: null,
          matched: false,
        },
      ],
    };
    await user.click(el("segment-new"));
    await user.clear(el("segment-name"));
    await user.type(el("segment-name"), "Browsers of TVs");
    await user.click(el("segment-preview-run"));
    await waitFor(() => expect(el("segment-preview-summary").textContent).toContain("1 of 2 live visitors"));
    const rows = all('[data-fw="segment-preview-visitor"]');
    expect(rows.map((r) => r.dataset.matched)).toEqual(["true", "false"]);
    expect(rows[0].querySelector('[data-fw="segment-preview-now"]')?.textContent).toBe("now in Intermediate");
    const previewed = calls.find((c) => c.path === "/api/v1/segments/preview");
    expect(Object.keys(previewed?.body as object)).toEqual(["conditions"]);

    await user.click(el("segment-save"));
    await waitFor(() => expect(order()).toContain("Browsers of TVs"));
    expect(server.segments.at(-1)?.position).toBe(3);
  });
});

describe("the live list's segments", () => {
  const visitor = (id: string, segment: string | null): LiveVisitor =>
    ({
      visitor_id: id,
      segment_id: segment,
      segment_name: segment ? `Name of ${segment}` : null,
      first_seen_at: "2030-01-01T10:00:00Z",
    }) as LiveVisitor;

  it("filter by segment, or by none", () => {
    const visitors = [visitor("a", "g1"), visitor("b", "g2"), visitor("c", null)];
    const ids = (segment: string) => filterVisitors(visitors, { ...NO_FILTERS, segment }, 0).map((v) => v.visitor_id);
    expect(ids("g1")).toEqual(["a"]);
    expect(ids(NO_SEGMENT)).toEqual(["c"]);
    expect(ids(NO_FILTERS.segment)).toEqual(["a", "b", "c"]);
    expect(segmentsOf(visitors)).toEqual({
      segments: [
        { id: "g1", name: "Name of g1" },
        { id: "g2", name: "Name of g2" },
      ],
      none: true,
    });
  });

  it("show as a badge on the visitor's row and as the choices of the segment filter", async () => {
    const full = { ...NO_FILTERS };
    const onChange = vi.fn();
    const visitors = [visitor("a", "g1"), visitor("c", null)].map((v) => ({
      ...v,
      current_url: null,
      location: null,
      device: null,
      utm: null,
      contact: null,
      arrived_via: null,
      attributes: {},
      returning: false,
      visit_count: 1,
      pages_viewed: 1,
      chat_state: "none" as const,
    }));
    render(
      <table>
        <tbody>
          <VisitorRow visitor={visitors[0]} chat={undefined} now={0} selected={false} onOpen={vi.fn()} onOpenChat={vi.fn()} />
        </tbody>
      </table>,
    );
    expect(el("visitor-segment").textContent).toBe("Name of g1");
    cleanup();
    render(<VisitorFiltersBar visitors={visitors} filters={full} onChange={onChange} />);
    const options = [...(el("filter-segment") as HTMLSelectElement).options].map((o) => o.textContent);
    expect(options).toEqual(["All segments", "Name of g1", "No segment"]);
    await userEvent.setup({ delay: null }).selectOptions(el("filter-segment"), "g1");
    expect(onChange).toHaveBeenCalledWith({ ...NO_FILTERS, segment: "g1" });
  });
});

describe("the Segments tab", () => {
  function renderConsole(role: Role) {
    const { api } = apiFor(withDefaults(), role);
    const notifier = { beep: vi.fn(), title: vi.fn() };
    render(
      <ConsoleView
        api={api}
        controllerOptions={{ notifier, socket: { createSocket: (url) => new FakeSocket(url) } }}
        onLogout={() => undefined}
      />,
    );
  }

  it("is for supervisors and admins", async () => {
    const user = userEvent.setup({ delay: null });
    renderConsole("operator");
    expect(q('[data-fw="tab-segments"]')).toBeNull();
    cleanup();
    renderConsole("supervisor");
    await user.click(el("tab-segments"));
    await waitFor(() => expect(order()).toEqual(["Most valuable", "Intermediate", "Low potential"]));
  });
});

describe("the rules editor's segment condition", { timeout: 20_000 }, () => {
  it("offers the account's segments by name", async () => {
    const server = new RulesServer();
    const rules = server.route;
    const segments = withDefaults();
    server.route = (r) => (r.path === "/api/v1/segments" ? segments.route(r) : rules(r));
    const { api } = rulesApiFor(server);
    const user = userEvent.setup({ delay: null });
    render(<RulesAdmin api={api} />);
    await user.click(await waitFor(() => el("rule-new")));
    for (let i = 0; i < 3; i++) await user.click(el("c.0-remove"));
    await user.selectOptions(el("c-add-type"), "segment");
    await user.click(el("c-add"));
    await waitFor(() => expect(q('[data-fw="c.0-segments"]')).not.toBeNull());
    const names = [...(el("c.0-segments") as HTMLDataListElement).options].map((o) => o.value);
    expect(names).toEqual(["Most valuable", "Intermediate", "Low potential"]);
    expect(el("c.0-value").getAttribute("list")).toBe("c.0-segments");
  });
});
