import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { RulesAdmin } from "../src/ui/rules/RulesAdmin";
import { apiFor, invalid, RulesServer } from "./rulesFake";

const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const el = (fw: string) => {
  const found = q(`[data-fw="${fw}"]`);
  if (!found) throw new Error(`no [data-fw="${fw}"]`);
  return found;
};
const errorAt = (fw: string) => q(`[data-fw="field-error"][data-field="${fw}"]`)?.textContent ?? null;

afterEach(cleanup);

/** The reference example of SPEC.md (ENG-6), as the server takes it. */
const ENG_6 = {
  name: "IT browsers",
  enabled: true,
  conditions: {
    type: "and",
    conditions: [
      { type: "time_in_section", section: "Informática", op: "ge", seconds: 180, scope: "stay" },
      { type: "operators_online", operator_ids: ["x", "y", "z"] },
      { type: "pages_viewed", op: "ge", value: 5, scope: "visit" },
    ],
  },
  actions: [{ type: "show_invitation", text: "Need help choosing a notebook?", delay_s: 0 }],
  caps: { once_per_visit: true, never_while_chatting: true, not_after_closed_this_visit: true },
};

async function openNewRule(prepare: (server: RulesServer) => void = () => undefined) {
  const server = new RulesServer();
  prepare(server);
  const { api, calls } = apiFor(server);
  const user = userEvent.setup({ delay: null }); // no timer between keystrokes: the long forms stay fast
  render(<RulesAdmin api={api} />);
  await user.click(await waitFor(() => el("rule-new")));
  return { server, calls, user };
}

// Whole forms typed key by key: more than the default 5 s on a loaded machine.
describe("the rules editor", { timeout: 20_000 }, () => {
  it("builds the ENG-6 rule by clicking, places the server's 422 at its field, then saves it", async () => {
    const { server, calls, user } = await openNewRule();
    // Start from nothing: remove the three conditions the new rule comes with.
    for (let i = 0; i < 3; i++) await user.click(el("c.0-remove"));
    expect(document.querySelectorAll('[data-fw="cond-leaf"]')).toHaveLength(0);

    await user.selectOptions(el("c-add-type"), "time_in_section");
    await user.click(el("c-add"));
    await user.type(el("c.0-section"), "Informática");
    await user.clear(el("c.0-seconds"));
    await user.type(el("c.0-seconds"), "3");
    expect((el("c.0-seconds-unit") as HTMLSelectElement).value).toBe("60"); // minutes

    await user.selectOptions(el("c-add-type"), "operators_online");
    await user.click(el("c-add"));
    await user.type(el("c.1-operator_ids"), "x, y, z z");

    await user.selectOptions(el("c-add-type"), "pages_viewed");
    await user.click(el("c-add"));
    await user.selectOptions(el("c.2-op"), "ge");
    await user.clear(el("c.2-value"));
    await user.type(el("c.2-value"), "5");

    await user.clear(el("rule-name"));
    await user.type(el("rule-name"), "IT browsers");
    await user.click(el("rule-enabled"));
    await user.clear(el("invite-text"));
    await user.type(el("invite-text"), "Need help choosing a notebook?");

    server.nextSave = invalid([
      {
        field: "conditions.and.conditions.1.operators_online.operator_ids.2",
        message: "String should match pattern '^[A-Za-z0-9_-]{1,64}$'",
        type: "string_pattern_mismatch",
      },
      {
        field: "actions.0.show_invitation.delay_s",
        message: "Input should be less than or equal to 3600",
        type: "less_than_equal",
      },
    ]);
    await user.click(el("rule-save"));
    await waitFor(() => expect(errorAt("c.1-operator_ids")).toContain("String should match pattern"));
    expect(errorAt("invite-delay")).toContain("less than or equal to 3600");
    expect(errorAt("c.0-section")).toBeNull(); // only where the server said
    expect(server.rules).toHaveLength(0);

    await user.clear(el("c.1-operator_ids"));
    await user.type(el("c.1-operator_ids"), "x, y, z");
    await user.click(el("rule-save"));
    await waitFor(() => expect(server.rules).toHaveLength(1));
    const posted = calls.filter((c) => c.method === "POST" && c.path === "/api/v1/sites/s1/rules");
    expect(posted).toHaveLength(2);
    expect(posted[1].body).toEqual(ENG_6);
    await waitFor(() => expect(el("rule-row").textContent).toContain("IT browsers"));
    expect(q('[data-fw="field-error"]')).toBeNull();
  });

  it("makes AND / OR / NOT groups, and writes lists, numbers and units for each kind of condition", async () => {
    const { server, calls, user } = await openNewRule();
    // (time in section AND pages) OR NOT operators online, then a nested OR group with a country test
    await user.selectOptions(el("c-kind"), "or");
    await user.click(el("c.1-not"));
    expect(q('[data-path="c.1"]')?.dataset.fw).toBe("cond-not");
    await user.selectOptions(el("c-add-type"), "country");
    await user.click(el("c-add-group")); // an AND group, starting with a country test
    await user.selectOptions(el("c.3.0-op"), "in");
    await user.type(el("c.3.0-value"), "BR, PT");
    await user.selectOptions(el("c.3-add-type"), "attribute");
    await user.click(el("c.3-add"));
    await user.type(el("c.3.1-name"), "orders_count");
    await user.selectOptions(el("c.3.1-op"), "ge");
    await user.type(el("c.3.1-value"), "3");
    await user.selectOptions(el("c.3-add-type"), "returning");
    await user.click(el("c.3-add"));
    await user.selectOptions(el("c.3.2-value"), "false");
    await user.selectOptions(el("c.0-seconds-unit"), "1"); // 3 minutes -> 3 seconds: the number is kept
    await user.click(el("action-open"));
    expect((el("open-message") as HTMLInputElement).value).toBe("Can I help you choose?"); // the text carried over
    await user.clear(el("open-message"));
    await user.type(el("open-message"), "Hi!");
    await user.type(el("cap-not_again_days"), "7");
    await user.click(el("rule-save"));
    await waitFor(() => expect(server.rules).toHaveLength(1));
    const body = calls.find((c) => c.method === "POST")?.body as Record<string, unknown>;
    expect(body.conditions).toEqual({
      type: "or",
      conditions: [
        { type: "time_in_section", section: "", op: "ge", seconds: 3, scope: "stay" },
        { type: "not", condition: { type: "operators_online", operator_ids: [] } },
        { type: "pages_viewed", op: "ge", value: 5, scope: "visit" },
        {
          type: "and",
          conditions: [
            { type: "country", op: "in", value: ["BR", "PT"] },
            { type: "attribute", name: "orders_count", op: "ge", value: 3 },
            { type: "returning", value: false },
          ],
        },
      ],
    });
    expect(body.actions).toEqual([{ type: "open_chat", delay_s: 0, message: "Hi!" }]);
    expect(body.caps).toMatchObject({ not_again_days: 7, once_per_visit: true });
  });

  it("splits an invitation into A/B variants and shows the server's split error by them", async () => {
    const { server, calls, user } = await openNewRule();
    await user.click(el("variant-add"));
    await user.clear(el("variant-1-text"));
    await user.type(el("variant-1-text"), "Shall we talk?");
    await user.clear(el("variant-1-split"));
    await user.type(el("variant-1-split"), "40");
    server.nextSave = invalid([
      {
        field: "actions.0.show_invitation.variants",
        message: "the variants' splits must add up to 100",
        type: "split_total",
      },
    ]);
    await user.click(el("rule-save"));
    await waitFor(() => expect(errorAt("variants")).toBe("the variants' splits must add up to 100"));
    const body = calls.find((c) => c.method === "POST")?.body as { actions: Array<{ variants: unknown }> };
    expect(body.actions[0].variants).toEqual([
      { key: "A", text: "Can I help you choose?", split: 50 },
      { key: "B", text: "Shall we talk?", split: 40 },
    ]);
  });

  it("offers the account's operators and queues by name, and the site's sections", async () => {
    const { calls, user } = await openNewRule((server) => {
      server.operators = [
        { user_id: "u-x", name: "Xavier" },
        { user_id: "u-y", name: "Yara" },
        { user_id: "u-z", name: "Zoe" },
      ];
      server.queues = [{ id: "q-it", name: "IT desk" }];
      server.sections = ["Informática", "Garden"];
    });
    await waitFor(() => expect(q('[data-fw="c.1-operator_ids-u-x"]')).not.toBeNull());
    for (const id of ["u-x", "u-y", "u-z"]) await user.click(el(`c.1-operator_ids-${id}`));
    await user.click(el("c.1-operator_ids-u-y")); // and Yara again out
    expect(
      [...document.querySelectorAll("#c\\.0-section-sections option")].map((o) => o.getAttribute("value")),
    ).toEqual(["Informática", "Garden"]);
    await user.selectOptions(el("c-add-type"), "operator_free");
    await user.click(el("c-add"));
    await user.selectOptions(el("c.3-queue_id"), "q-it");
    await user.selectOptions(el("invite-operator"), "u-z");
    await user.click(el("rule-save"));
    await waitFor(() =>
      expect(calls.some((c) => c.method === "POST" && c.path === "/api/v1/sites/s1/rules")).toBe(true),
    );
    const body = calls.find((c) => c.method === "POST" && c.path === "/api/v1/sites/s1/rules")?.body as {
      conditions: { conditions: unknown[] };
      actions: unknown[];
    };
    expect(body.conditions.conditions[1]).toEqual({ type: "operators_online", operator_ids: ["u-x", "u-z"] });
    expect(body.conditions.conditions[3]).toEqual({ type: "operator_free", queue_id: "q-it" });
    expect(body.actions[0]).toMatchObject({ type: "show_invitation", operator_id: "u-z" });
  });
});
