import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newRule, type RuleDefinition } from "../src/lib/rules";
import type { Role } from "../src/types";
import { ConsoleView } from "../src/ui/ConsoleView";
import { RulesAdmin } from "../src/ui/rules/RulesAdmin";
import { FakeSocket } from "./fakes";
import { apiFor, RulesServer } from "./rulesFake";

const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
const inRow = (name: string, fw: string) => {
  const row = all('[data-fw="rule-row"]').find((r) => r.textContent?.includes(name));
  const found = row?.querySelector(`[data-fw="${fw}"]`) as HTMLElement | null;
  if (!found) throw new Error(`no ${fw} in the row of ${name}`);
  return found;
};
const order = () => all('[data-fw="rule-edit"]').map((e) => e.textContent);

afterEach(cleanup);

const rule = (name: string, extra: Partial<RuleDefinition> = {}): RuleDefinition => ({
  ...newRule(),
  name,
  enabled: true,
  ...extra,
});

async function setup() {
  const server = new RulesServer();
  for (const name of ["Laptops", "Cart", "Returning"]) server.add(rule(name));
  const { api, calls } = apiFor(server, "admin");
  const user = userEvent.setup({ delay: null }); // no timer between keystrokes: the long forms stay fast
  render(<RulesAdmin api={api} />);
  await waitFor(() => expect(order()).toEqual(["Laptops", "Cart", "Returning"]));
  return { server, calls, user };
}

describe("the site's rules", () => {
  it("are enabled and disabled with their version", async () => {
    const { server, calls, user } = await setup();
    await user.click(inRow("Cart", "rule-toggle"));
    await waitFor(() => expect(server.rules[1].enabled).toBe(false));
    expect(calls.find((c) => c.method === "PATCH")).toMatchObject({
      path: "/api/v1/rules/r2",
      body: { enabled: false, version: 1 },
    });
    await waitFor(() => expect((inRow("Cart", "rule-toggle") as HTMLInputElement).checked).toBe(false));
    await user.click(inRow("Cart", "rule-toggle"));
    await waitFor(() => expect(server.rules[1]).toMatchObject({ enabled: true, version: 3 }));
  });

  it("move up and down in the order the server answers", async () => {
    const { user } = await setup();
    expect((inRow("Laptops", "rule-up") as HTMLButtonElement).disabled).toBe(true);
    expect((inRow("Returning", "rule-down") as HTMLButtonElement).disabled).toBe(true);
    await user.click(inRow("Returning", "rule-up"));
    await waitFor(() => expect(order()).toEqual(["Laptops", "Returning", "Cart"]));
    await user.click(inRow("Laptops", "rule-down"));
    await waitFor(() => expect(order()).toEqual(["Returning", "Laptops", "Cart"]));
  });

  it("are deleted only once confirmed", async () => {
    const { server, user } = await setup();
    await user.click(inRow("Cart", "rule-delete"));
    await user.click(q('[data-fw="rule-delete-cancel"]') as HTMLElement);
    expect(server.rules).toHaveLength(3);
    await user.click(inRow("Cart", "rule-delete"));
    await user.click(q('[data-fw="rule-delete-yes"]') as HTMLElement);
    await waitFor(() => expect(order()).toEqual(["Laptops", "Returning"]));
    expect(server.rules.map((r) => r.position)).toEqual([0, 1]);
  });

  it("say so when another editor changed a rule meanwhile, and show it as it is now", async () => {
    const { server, user } = await setup();
    server.rules[0] = { ...server.rules[0], name: "Laptops (renamed)", version: 4 };
    await user.click(inRow("Laptops", "rule-toggle"));
    await waitFor(() => expect(q('[data-fw="rules-error"]')?.textContent).toContain("changed meanwhile"));
    await waitFor(() => expect(order()[0]).toBe("Laptops (renamed)"));
  });
});

describe("the rule open in the editor", () => {
  it("follows a toggle in the list: the save keeps it and sends the version the rule is at", async () => {
    const { server, calls, user } = await setup();
    await user.click(inRow("Cart", "rule-edit"));
    const name = q('[data-fw="rule-name"]') as HTMLInputElement;
    await user.clear(name);
    await user.type(name, "Cart leavers");
    await user.click(inRow("Cart", "rule-toggle"));
    await waitFor(() => expect((q('[data-fw="rule-enabled"]') as HTMLInputElement).checked).toBe(false));
    expect(name.value).toBe("Cart leavers"); // the draft is kept
    await user.click(q('[data-fw="rule-save"]') as HTMLElement);
    await waitFor(() => expect(server.rules[1]).toMatchObject({ name: "Cart leavers", enabled: false, version: 3 }));
    expect(calls.find((c) => c.method === "PUT")?.body).toMatchObject({ version: 2, enabled: false });
    expect(q('[data-fw="rule-cancel"]')?.textContent).toBe("Close"); // nothing left unsaved
  });
});

describe("the live preview", () => {
  it("lists which live visitors match now, and why one does not match the saved rule", async () => {
    const { server, calls, user } = await setup();
    server.preview = {
      live: 2,
      matching: 1,
      visitors: [
        {
          visitor_id: "v-aaaaaaaa1",
          current_url: "https://shop.example/it/x1",
          current_title: "X1 notebook",
          matched: true,
        },
        { visitor_id: "v-bbbbbbbb2", current_url: "https://shop.example/", current_title: null, matched: false },
      ],
    };
    server.explained["v-bbbbbbbb2"] = {
      rule_id: "r1",
      version: 1,
      visitor_id: "v-bbbbbbbb2",
      enabled: true,
      matched: false,
      caps: { allowed: true, reason: null },
      tree: {
        type: "and",
        matched: false,
        condition: {},
        value: null,
        changes_at: null,
        children: [
          {
            type: "time_in_section",
            matched: false,
            condition: { section: "Informática", op: "ge", seconds: 180 },
            value: 0,
            changes_at: null,
          },
          {
            type: "operators_online",
            matched: true,
            condition: { operator_ids: [] },
            value: ["olga"],
            changes_at: null,
          },
          { type: "pages_viewed", matched: false, condition: { op: "ge", value: 5 }, value: 2, changes_at: null },
        ],
      },
    };
    await user.click(inRow("Laptops", "rule-edit"));
    await user.click(q('[data-fw="preview-run"]') as HTMLElement);
    await waitFor(() => expect(q('[data-fw="preview-summary"]')?.textContent).toBe("1 of 2 live visitors match now."));
    const previewed = calls.find((c) => c.path === "/api/v1/sites/s1/rules/preview");
    expect((previewed?.body as RuleDefinition).name).toBe("Laptops"); // the draft as it is in the editor
    expect(all('[data-fw="preview-visitor"]').map((v) => [v.dataset.visitorId, v.dataset.matched])).toEqual([
      ["v-aaaaaaaa1", "true"],
      ["v-bbbbbbbb2", "false"],
    ]);
    const why = all('[data-fw="preview-visitor"]')[1].querySelector('[data-fw="preview-why"]') as HTMLElement;
    await user.click(why);
    await waitFor(() => expect(q('[data-fw="why"]')?.textContent).toContain("does not match the saved rule"));
    const leaves = all('[data-fw="why-node"]').slice(1);
    expect(leaves.map((n) => [n.dataset.type, n.dataset.matched])).toEqual([
      ["time_in_section", "false"],
      ["operators_online", "true"],
      ["pages_viewed", "false"],
    ]);
    expect(all('[data-fw="why-value"]').map((v) => v.textContent)).toEqual(["now: 0 s", "now: olga", "now: 2"]);
  });

  it("previews a rule not saved yet, without a why", async () => {
    const { server, user } = await setup();
    server.preview = {
      live: 1,
      matching: 0,
      visitors: [{ visitor_id: "v-1", current_url: "https://shop.example/", current_title: null, matched: false }],
    };
    await user.click(q('[data-fw="rule-new"]') as HTMLElement);
    await user.click(q('[data-fw="preview-run"]') as HTMLElement);
    await waitFor(() => expect(q('[data-fw="preview-summary"]')?.textContent).toBe("0 of 1 live visitor match now."));
    expect(q('[data-fw="preview-why"]')).toBeNull();
  });
});

describe("the Rules tab", () => {
  function renderConsole(role: Role) {
    const server = new RulesServer();
    server.add(rule("Laptops"));
    const { api } = apiFor(server, role);
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
    const user = userEvent.setup({ delay: null }); // no timer between keystrokes: the long forms stay fast
    renderConsole("operator");
    expect(q('[data-fw="tab-rules"]')).toBeNull();
    cleanup();
    renderConsole("supervisor");
    await user.click(q('[data-fw="tab-rules"]') as HTMLElement);
    await waitFor(() => expect(order()).toEqual(["Laptops"]));
    cleanup();
    renderConsole("admin");
    expect(q('[data-fw="tab-rules"]')).not.toBeNull();
  });
});
