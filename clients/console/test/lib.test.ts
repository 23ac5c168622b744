import { describe, expect, it } from "vitest";
import { countryBreakdown, filterVisitors, NO_FILTERS } from "../src/lib/filters";
import { formFromSettings, serverErrors, settingsFromForm, validateForm } from "../src/lib/settings";
import { DEFAULT_SORT, sortVisitors, toggleSort } from "../src/lib/sort";
import { arrivedText, visitorName } from "../src/lib/visitors";
import { reducer, initialState } from "../src/state/store";
import { visitor } from "./fakes";

describe("sorting visitors", () => {
  it("toggles the direction of the same column and starts a new one with its usual direction", () => {
    expect(toggleSort(DEFAULT_SORT, "last-activity")).toEqual({ key: "last-activity", direction: "asc" });
    expect(toggleSort(DEFAULT_SORT, "country")).toEqual({ key: "country", direction: "asc" });
    expect(toggleSort(DEFAULT_SORT, "pages")).toEqual({ key: "pages", direction: "desc" });
  });

  it("keeps visitors without a value last in both directions", () => {
    const list = [
      visitor({ visitor_id: "none", page_started_at: null }),
      visitor({ visitor_id: "old", page_started_at: "2030-01-01T09:00:00Z" }),
      visitor({ visitor_id: "recent", page_started_at: "2030-01-01T09:59:00Z" }),
    ];
    const ids = (direction: "asc" | "desc") =>
      sortVisitors(list, { key: "time-on-page", direction }).map((v) => v.visitor_id);
    expect(ids("desc")).toEqual(["old", "recent", "none"]);
    expect(ids("asc")).toEqual(["recent", "old", "none"]);
  });
});

describe("country breakdown and filters", () => {
  it("counts, shares and orders countries, unknown last", () => {
    const fr = { country_code: "fr", country: "France", region: null, city: null, time_zone: null };
    const rows = countryBreakdown([
      visitor({ visitor_id: "a", location: null }),
      visitor({ visitor_id: "b", location: fr }),
      visitor({ visitor_id: "c", location: fr }),
      visitor({ visitor_id: "d" }),
    ]);
    expect(rows.map((r) => [r.code, r.count, r.share])).toEqual([
      ["FR", 2, 0.5],
      ["DE", 1, 0.25],
      ["?", 1, 0.25],
    ]);
  });

  it("counts time on site from the start of this visit", () => {
    const now = Date.parse("2030-01-01T10:00:00Z");
    const v = visitor({ first_seen_at: "2029-12-01T10:00:00Z", visit_started_at: "2030-01-01T09:59:00Z" });
    expect(filterVisitors([v], { ...NO_FILTERS, minSeconds: 60 }, now)).toHaveLength(1);
    expect(filterVisitors([v], { ...NO_FILTERS, minSeconds: 300 }, now)).toHaveLength(0);
  });
});

describe("describing visitors", () => {
  it("names identified visitors and tells how they arrived", () => {
    expect(visitorName("v-0000abcdef", null)).toBe("Visitor abcdef");
    const contact = { contact_id: "k", user_id: "u", email: "a@b.c", name: null, phone: null, verified: false };
    expect(visitorName("v-1", contact)).toBe("a@b.c");
    expect(arrivedText({ kind: "referral", source: null, keywords: null }, "https://blog.example/post")).toBe(
      "Referral · blog.example",
    );
    expect(arrivedText(null, null)).toBe("Direct");
  });
});

describe("tracking settings form", () => {
  it("round-trips the settings, trimming text and reading an empty retention as null", () => {
    const form = formFromSettings({ sections: [], products: [], searches: [], retention_days: null });
    expect(form.retention).toBe("");
    form.sections.push({ name: " IT ", pattern: " /informatica/* " });
    expect(settingsFromForm(form)).toEqual({
      sections: [{ name: "IT", pattern: "/informatica/*" }],
      products: [],
      searches: [],
      retention_days: null,
    });
  });

  it("refuses empty or relative patterns and a bad retention", () => {
    const errors = validateForm({
      sections: [{ name: "", pattern: "laptops" }],
      products: [{ pattern: "/p/{sku}" }],
      searches: [{ pattern: "/search", param: " " }],
      retention: "1.5",
    });
    expect(Object.keys(errors).sort()).toEqual([
      "retention_days",
      "searches.0.param",
      "sections.0.name",
      "sections.0.pattern",
    ]);
  });

  it("reads 422 details given as fields or as pydantic locations", () => {
    expect(
      serverErrors([
        { field: "sections.1.pattern", message: "bad" },
        { loc: ["body", "retention_days"], msg: "too big" },
        { message: "no field" },
      ]),
    ).toEqual({ fields: { "sections.1.pattern": "bad", retention_days: "too big" }, general: ["no field"] });
    expect(serverErrors(null)).toEqual({ fields: {}, general: [] });
  });
});

describe("store", () => {
  it("keeps the geolocation attribution of the last live list", () => {
    const geo = { database: "db", attribution: "by DB", attribution_url: null };
    const loaded = reducer(initialState, { type: "visitors.loaded", visitors: [visitor()], since: 0, geo });
    expect(loaded.geo).toEqual(geo);
    expect(reducer(loaded, { type: "visitors.loaded", visitors: [], since: 0 }).geo).toEqual(geo);
  });
});
