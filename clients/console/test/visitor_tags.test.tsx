import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import { VisitorPanel } from "../src/ui/visitors/Panel";
import { VisitorRow } from "../src/ui/visitors/Row";
import { json, routedFetch, tokens, visitor, visitorDetail } from "./fakes";

/** The rules' tags on a visitor (`tag_visitor`, stored by tracking): in the live list's row and the visitor panel. */
describe("visitor tags", () => {
  afterEach(cleanup);

  it("show on the visitor's row, one badge each", () => {
    const view = render(
      <table>
        <tbody>
          <VisitorRow visitor={visitor({ tags: ["hot lead", "laptops"] })} chat={undefined} now={0} selected={false} onOpen={vi.fn()} onOpenChat={vi.fn()} />
        </tbody>
      </table>,
    );
    expect([...view.container.querySelectorAll('[data-fw="visitor-tag"]')].map((e) => e.textContent)).toEqual(["hot lead", "laptops"]);
    view.rerender(
      <table>
        <tbody>
          <VisitorRow visitor={visitor()} chat={undefined} now={0} selected={false} onOpen={vi.fn()} onOpenChat={vi.fn()} />
        </tbody>
      </table>,
    );
    expect(view.container.querySelectorAll('[data-fw="visitor-tag"]')).toHaveLength(0);
  });

  it("show in the visitor panel from the visitor's detail", async () => {
    const detail = visitorDetail({ tags: ["returning", "vip"] });
    const { fetch } = routedFetch(({ method, path }) => (method === "GET" && path.includes(`/api/v1/visitors/${detail.visitor_id}`) ? json(detail) : undefined));
    const store = storageSessionStore(null);
    store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: tokens("acc").user, accounts: [] });
    const view = render(
      <VisitorPanel api={new ApiClient({ fetch, store })} visitorId={detail.visitor_id} live={undefined} chat={undefined} now={0} onClose={vi.fn()} onOpenChat={vi.fn()} />,
    );
    await waitFor(() => expect(view.container.querySelector('[data-fw="panel-tags"]')?.textContent).toBe("returning, vip"));
  });
});
