import { cleanup, render, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import { PresenceSwitcher } from "../src/ui/PresenceSwitcher";
import { json, routedFetch, tokens } from "./fakes";

afterEach(cleanup);

const select = () => document.querySelector('[data-fw="presence-select"]') as HTMLSelectElement;
const error = () => document.querySelector('[data-fw="presence-error"]');

function setup(put: (status: string) => Response) {
  let current = "offline";
  const { fetch, calls } = routedFetch((r) => {
    if (r.path !== "/api/v1/me/presence") return undefined;
    if (r.method === "PUT") {
      const answer = put((r.body as { status: string }).status);
      if (answer.ok) current = (r.body as { status: string }).status;
      return answer;
    }
    return json({ user_id: "u1", name: "Olga", status: current, max_chats: 3, active_chats: 0 });
  });
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: t.user, accounts: [] });
  render(<PresenceSwitcher api={new ApiClient({ fetch, store })} />);
  return { calls };
}

describe("presence switcher", () => {
  it("shows the stored status and sets the one the operator picks", async () => {
    const { calls } = setup((status) => json({ user_id: "u1", name: "Olga", status, max_chats: 3, active_chats: 0 }));
    await waitFor(() => expect(select().value).toBe("offline"));
    await userEvent.selectOptions(select(), "break");
    await waitFor(() => expect(select().value).toBe("break"));
    const puts = calls.filter((c) => c.method === "PUT");
    expect(puts.map((c) => c.body)).toEqual([{ status: "break" }]);
    expect(error()).toBeNull();
  });

  it("goes back to the previous status and says so when the server refuses", async () => {
    setup(() => json({ error: { code: "service_unavailable", message: "down" } }, 422));
    await waitFor(() => expect(select().value).toBe("offline"));
    await userEvent.selectOptions(select(), "online");
    await waitFor(() => expect(error()?.textContent).toBe("Status not saved"));
    expect(select().value).toBe("offline");
  });
});
