import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import { afterEach, describe, expect, it } from "vitest";
import type { RuleStats } from "../src/api/rules";
import { newRule, type RuleDefinition } from "../src/lib/rules";
import { RulesAdmin } from "../src/ui/rules/RulesAdmin";
import { apiFor, RulesServer } from "./rulesFake";

afterEach(cleanup);

const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
const row = (name: string) => {
  const found = all('[data-fw="rule-row"]').find((r) => r.textContent?.includes(name));
  if (!found) throw new Error(`no row of ${name}`);
  return found;
};

const A_B: RuleDefinition = {
  ...newRule(),
  name: "Laptops A/B",
  actions: [
    {
      type: "show_invitation",
      text: "Need a hand?",
      variants: [
        { key: "A", text: "Need a hand?", split: 50 },
        { key: "B", text: "Hi there!", split: 50 },
      ],
    },
  ],
};
const PLAIN: RuleDefinition = { ...newRule(), name: "Cart" };

const counts = (shown: number, accepted: number, chats: number) => ({
  shown,
  accepted,
  closed: 0,
  expired: 0,
  chats_started: chats,
  acceptance_rate: shown ? accepted / shown : null,
});

function stats(ruleId: string, variants: Array<[string | null, number, number, number]>): RuleStats {
  const each = variants.map(([variant, shown, accepted, chats]) => ({ variant, ...counts(shown, accepted, chats) }));
  const sum = (k: "shown" | "accepted" | "chats_started") => each.reduce((n, v) => n + v[k], 0);
  return { rule_id: ruleId, ...counts(sum("shown"), sum("accepted"), sum("chats_started")), variants: each };
}

describe("the rules' counts in the list", () => {
  it("show shown, accepted with the acceptance rate and chats, per variant for an A/B rule", async () => {
    const server = new RulesServer();
    const ab = server.add(A_B);
    const plain = server.add(PLAIN);
    server.stats = [
      stats(ab.id, [
        ["A", 8, 2, 1],
        ["B", 4, 2, 2],
      ]),
      stats(plain.id, []),
    ];
    const { api, calls } = apiFor(server, "supervisor");
    render(<RulesAdmin api={api} />);
    await waitFor(() => expect(row("Laptops A/B").querySelector('[data-fw="rule-stats"]')).not.toBeNull());
    expect(calls.some((c) => c.path === "/api/v1/sites/s1/rules?stats=true")).toBe(true);
    const total = row("Laptops A/B").querySelector('[data-fw="rule-stats-total"]');
    expect(total?.textContent).toBe("12 shown · 4 accepted (33%) · 3 chats");
    const variants = [...row("Laptops A/B").querySelectorAll('[data-fw="rule-stats-variant"]')];
    expect(variants.map((v) => v.textContent)).toEqual([
      "A: 8 shown · 2 accepted (25%) · 1 chat",
      "B: 4 shown · 2 accepted (50%) · 2 chats",
    ]);
    // a rule never shown: zeros, no rate, and no variants for a rule without A/B
    expect(row("Cart").querySelector('[data-fw="rule-stats-total"]')?.textContent).toBe(
      "0 shown · 0 accepted (–) · 0 chats",
    );
    expect(row("Cart").querySelectorAll('[data-fw="rule-stats-variant"]')).toHaveLength(0);
  });

  it("are left out, and the list still shown, when they cannot be read", async () => {
    const server = new RulesServer();
    server.add(A_B);
    const { api } = apiFor(server, "supervisor");
    render(<RulesAdmin api={api} />);
    await waitFor(() => expect(all('[data-fw="rule-row"]')).toHaveLength(1));
    expect(document.querySelector('[data-fw="rule-stats"]')).toBeNull();
    expect(document.querySelector('[data-fw="rules-error"]')).toBeNull();
  });
});
