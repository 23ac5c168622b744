import { describe, expect, it } from "vitest";
import {
  addChild,
  attributeValue,
  bestUnit,
  fieldKey,
  locate,
  newRule,
  type RuleDefinition,
  textValue,
  update,
} from "../src/lib/rules";
import { placeProblems } from "../src/ui/rules/RuleEditor";

const rule = (conditions: RuleDefinition["conditions"]): RuleDefinition => ({ ...newRule(), conditions });

describe("a 422's field path", () => {
  it("names the node of the tree, through and / or / not and Pydantic's union tags", () => {
    const tree = rule({
      type: "and",
      conditions: [
        { type: "idle", seconds: 5 },
        { type: "not", condition: { type: "or", conditions: [{ type: "current_url", op: "regex", value: "(" }] } },
      ],
    });
    expect(locate(tree, "conditions.and.conditions.0.idle.minutes")).toEqual({ node: [0], field: "minutes" });
    expect(locate(tree, "conditions.and.conditions.1.not.condition.or.conditions.0.current_url.value")).toEqual({
      node: [1, 0, 0],
      field: "value",
    });
    expect(locate(tree, "conditions.and.conditions")).toEqual({ node: [], field: "conditions" });
    expect(locate(rule({ type: "pages_viewed", value: 1 }), "conditions.pages_viewed.value")).toEqual({
      node: [],
      field: "value",
    });
    expect(locate(tree, "actions.0.show_invitation.text")).toEqual({
      node: null,
      field: "actions.0.show_invitation.text",
    });
  });

  it("outside the tree, drops the action's type", () => {
    expect(fieldKey("actions.0.show_invitation.variants.1.split")).toBe("actions.0.variants.1.split");
    expect(fieldKey("caps.max_shows")).toBe("caps.max_shows");
    expect(fieldKey("")).toBe("");
    const placed = placeProblems(rule({ type: "and", conditions: [{ type: "idle", seconds: 5 }] }), [
      { field: "conditions.and.conditions.0.idle.seconds", message: "Input should be greater than or equal to 0" },
      { field: "actions.0.open_chat.message", message: "String should have at least 1 character" },
      { field: "", message: "Value error, a rule shows an invitation or opens the chat, not both" },
    ]);
    expect(placed.tree).toEqual({ "0": { seconds: "Input should be greater than or equal to 0" } });
    expect(placed.other).toEqual({
      "actions.0.message": "String should have at least 1 character",
      "": "a rule shows an invitation or opens the chat, not both",
    });
  });
});

describe("the tree's edits and the inputs' values", () => {
  it("adds, changes and removes nodes by path without touching the rest", () => {
    const root = rule({
      type: "and",
      conditions: [
        { type: "idle", seconds: 5 },
        { type: "or", conditions: [] },
      ],
    }).conditions;
    const added = addChild(root, [1], { type: "city", op: "eq", value: "Porto" });
    expect(added).toEqual({
      type: "and",
      conditions: [
        { type: "idle", seconds: 5 },
        { type: "or", conditions: [{ type: "city", op: "eq", value: "Porto" }] },
      ],
    });
    expect(update(added, [0], () => null)).toEqual({
      type: "and",
      conditions: [{ type: "or", conditions: [{ type: "city", op: "eq", value: "Porto" }] }],
    });
    expect(root).toEqual({
      type: "and",
      conditions: [
        { type: "idle", seconds: 5 },
        { type: "or", conditions: [] },
      ],
    });
  });

  it("turns what is typed into the value each operator needs", () => {
    expect(textValue("in", "BR, PT ,")).toEqual(["BR", "PT"]);
    expect(textValue("exists", "x")).toBeNull();
    expect(attributeValue("ge", "3")).toBe(3);
    expect(attributeValue("eq", "true")).toBe(true);
    expect(attributeValue("in", "1, gold")).toEqual([1, "gold"]);
    expect([bestUnit(180), bestUnit(7200), bestUnit(90), bestUnit(0)]).toEqual([60, 3600, 1, 1]);
  });
});
