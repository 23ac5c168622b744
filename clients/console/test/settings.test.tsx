import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import type { Role, TrackingSettings as Settings } from "../src/types";
import { TrackingSettings } from "../src/ui/settings/TrackingSettings";
import { json, routedFetch, tokens } from "./fakes";

const q = (selector: string) => document.querySelector(selector) as HTMLElement | null;
const all = (selector: string) => [...document.querySelectorAll<HTMLElement>(selector)];
const inputs = (fw: string) => all(`[data-fw="${fw}"]`) as HTMLInputElement[];

afterEach(cleanup);

const STORED: Settings = {
  sections: [
    { name: "Laptops", pattern: "/laptops/*" },
    { name: "Phones", pattern: "/phones/*" },
  ],
  products: [{ pattern: "/product/{sku}" }],
  searches: [{ pattern: "/search", param: "q" }],
  retention_days: 365,
};

function setup(role: Role, put?: (body: Settings) => Response) {
  const { fetch, calls } = routedFetch((r) => {
    if (r.path === "/api/v1/sites")
      return json({
        sites: [
          { id: "s1", name: "Demo shop" },
          { id: "s2", name: "Blog" },
        ],
      });
    if (r.path === "/api/v1/track/settings/s1" && r.method === "GET") return json(STORED);
    if (r.path === "/api/v1/track/settings/s2" && r.method === "GET")
      return json({ sections: [], products: [], searches: [], retention_days: null });
    if (r.path === "/api/v1/track/settings/s1" && r.method === "PUT" && put) return put(r.body as Settings);
    return undefined;
  });
  const store = storageSessionStore(null);
  const t = tokens("acc");
  const user = { ...t.user, role };
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user, accounts: [] });
  render(<TrackingSettings api={new ApiClient({ fetch, store })} role={role} />);
  return { calls };
}

const loaded = () => waitFor(() => expect(inputs("settings-section-name")).not.toHaveLength(0));

describe("tracking settings", () => {
  it("loads the first site's settings, edits rows and saves them", async () => {
    const user = userEvent.setup();
    const { calls } = setup("admin", (body) => json(body));
    await loaded();
    expect(inputs("settings-section-name").map((i) => i.value)).toEqual(["Laptops", "Phones"]);
    expect(inputs("settings-product-pattern").map((i) => i.value)).toEqual(["/product/{sku}"]);
    expect(inputs("settings-search-param").map((i) => i.value)).toEqual(["q"]);
    expect((q('[data-fw="settings-retention"]') as HTMLInputElement).value).toBe("365");
    expect(q('[data-fw="settings-readonly"]')).toBeNull();

    // Remove "Phones", add a section, drop the product pattern, keep data for 90 days.
    const phonesRow = all('[data-fw="settings-section-row"]')[1];
    await user.click(phonesRow.querySelector('[data-fw="settings-remove"]') as HTMLElement);
    await user.click(q('[data-fw="settings-add-section"]') as HTMLElement);
    await user.type(inputs("settings-section-name")[1], "Sale");
    await user.type(inputs("settings-section-pattern")[1], "/sale/*");
    await user.click(all('[data-fw="settings-product-row"] [data-fw="settings-remove"]')[0]);
    await user.clear(q('[data-fw="settings-retention"]') as HTMLElement);
    await user.type(q('[data-fw="settings-retention"]') as HTMLElement, "90");
    await user.click(q('[data-fw="settings-save"]') as HTMLElement);

    await waitFor(() => expect(q('[data-fw="settings-status"]')?.textContent).toBe("Saved."));
    const put = calls.find((c) => c.method === "PUT");
    expect(put?.path).toBe("/api/v1/track/settings/s1");
    expect(put?.body).toEqual({
      sections: [
        { name: "Laptops", pattern: "/laptops/*" },
        { name: "Sale", pattern: "/sale/*" },
      ],
      products: [],
      searches: [{ pattern: "/search", param: "q" }],
      retention_days: 90,
    });
  });

  it("checks the rows before sending and shows the server's validation errors by field", async () => {
    const user = userEvent.setup();
    const { calls } = setup("admin", () =>
      json(
        {
          error: {
            code: "validation_error",
            message: "Invalid request: sections.0.pattern.",
            details: [{ field: "sections.0.pattern", message: "Invalid pattern: unbalanced braces", type: "value_error" }],
          },
        },
        422,
      ),
    );
    await loaded();
    await user.click(q('[data-fw="settings-add-search"]') as HTMLElement);
    await user.click(q('[data-fw="settings-save"]') as HTMLElement);
    expect(calls.some((c) => c.method === "PUT")).toBe(false);
    const local = all('[data-fw="settings-field-error"]');
    expect(local.map((e) => e.dataset.field)).toEqual(["searches.1.pattern"]);
    await user.click(all('[data-fw="settings-search-row"] [data-fw="settings-remove"]')[1]);

    await user.clear(inputs("settings-section-pattern")[0]);
    await user.type(inputs("settings-section-pattern")[0], "/laptops/{{sku}");
    await user.click(q('[data-fw="settings-save"]') as HTMLElement);
    await waitFor(() => expect(q('[data-fw="settings-error"]')?.textContent).toContain("Invalid request"));
    const error = q('[data-fw="settings-field-error"][data-field="sections.0.pattern"]');
    expect(error?.textContent).toBe("Invalid pattern: unbalanced braces");
    expect(inputs("settings-section-pattern")[0].getAttribute("aria-invalid")).toBe("true");
    expect(q('[data-fw="settings-status"]')).toBeNull();
  });

  it("is read-only for an operator", async () => {
    setup("operator");
    await loaded();
    expect(q('[data-fw="settings-readonly"]')).not.toBeNull();
    expect(inputs("settings-section-name").every((i) => i.disabled)).toBe(true);
    expect((q('[data-fw="settings-retention"]') as HTMLInputElement).disabled).toBe(true);
    expect(q('[data-fw="settings-save"]')).toBeNull();
    expect(q('[data-fw="settings-add-section"]')).toBeNull();
    expect(q('[data-fw="settings-remove"]')).toBeNull();
  });

  it("loads another site's settings when it is chosen", async () => {
    const user = userEvent.setup();
    const { calls } = setup("supervisor");
    await loaded();
    await user.selectOptions(q('[data-fw="settings-site"]') as HTMLSelectElement, "s2");
    await waitFor(() => expect(q('[data-fw="settings-form"]')?.dataset.siteId).toBe("s2"));
    expect(inputs("settings-section-name")).toHaveLength(0);
    expect((q('[data-fw="settings-retention"]') as HTMLInputElement).value).toBe("");
    expect(calls.map((c) => c.path)).toContain("/api/v1/track/settings/s2");
    expect(q('[data-fw="settings-save"]')).toBeNull();
  });
});
