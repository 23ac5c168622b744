import { cleanup, waitFor, within } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { DepartmentsAdmin } from "../src/ui/queues/DepartmentsAdmin";
import { json } from "./fakes";
import { presence, queue, TeamServer } from "./teamFake";

afterEach(cleanup);

const q = (selector: string, root: ParentNode = document) => root.querySelector(selector) as HTMLElement;
/** Types by pasting (much quicker than key by key on a loaded machine), replacing what the field held. */
async function fill(user: ReturnType<typeof userEvent.setup>, field: HTMLElement, text: string) {
  await user.clear(field);
  await user.click(field);
  await user.paste(text);
}
const rows = () => [...document.querySelectorAll<HTMLElement>('[data-fw="queue-item"]')];

function setup() {
  const server = new TeamServer("supervisor");
  server.operators = [presence("u1", "Olga"), presence("u2", "Ben"), presence("u3", "Cleo", { status: "offline" })];
  const user = userEvent.setup();
  render(<DepartmentsAdmin api={server.api()} />);
  return { server, user };
}

describe("departments screen (ROUTE-1)", { timeout: 30_000 }, () => {
  it("creates a department with opening hours, a holiday and a member with a priority", async () => {
    const { server, user } = setup();
    await waitFor(() => expect(document.body.textContent).toContain("No department yet"));
    await user.click(q('[data-fw="queue-new"]'));
    await fill(user, q('[data-fw="queue-name"]'), "Sales");
    await fill(user, q('[data-fw="queue-welcome"]'), "Hello from sales!");
    await user.selectOptions(q('[data-fw="queue-strategy"]'), "operator_priority");
    await user.click(q('[data-fw="always-open"]'));
    await fill(user, q('[data-fw="time-zone"]'), "Europe/Berlin");
    // Saturday morning too, and a lunch break on Monday
    await user.click(q('[data-fw="interval-add"]', q('[data-day="sat"]')));
    const monday = q('[data-day="mon"]');
    await fill(user, q('[data-fw="interval-end"]', monday), "12:00");
    await user.click(q('[data-fw="interval-add"]', monday));
    const second = monday.querySelectorAll<HTMLInputElement>('[data-fw="interval-start"]')[1];
    await fill(user, second, "13:00");
    const secondEnd = monday.querySelectorAll<HTMLInputElement>('[data-fw="interval-end"]')[1];
    await fill(user, secondEnd, "17:00");
    await fill(user, q('[data-fw="holiday-input"]'), "2030-12-25");
    await user.click(q('[data-fw="holiday-add"]'));
    await waitFor(() => expect(q('[data-fw="member-pick"]').querySelectorAll("option")).toHaveLength(4));
    await user.selectOptions(q('[data-fw="member-pick"]'), "u2");
    await user.click(q('[data-fw="member-add"]'));
    await fill(user, q('[data-fw="member-priority"]'), "2");
    await user.click(q('[data-fw="queue-save"]'));

    await waitFor(() => expect(rows()).toHaveLength(1));
    const [body] = server.posted("/api/v1/queues") as Array<Record<string, unknown>>;
    expect(body).toMatchObject({
      name: "Sales",
      welcome_message: "Hello from sales!",
      strategy: "operator_priority",
      members: [{ user_id: "u2", priority: 2 }],
      hours: {
        time_zone: "Europe/Berlin",
        holidays: ["2030-12-25"],
        weekly: {
          mon: [
            { start: "09:00", end: "12:00" },
            { start: "13:00", end: "17:00" },
          ],
          fri: [{ start: "09:00", end: "17:00" }],
          sat: [{ start: "09:00", end: "17:00" }],
          sun: [],
        },
      },
    });
    expect(q('[data-fw="queue-saved"]').textContent).toContain("Sales saved");
    expect(rows()[0].dataset.name).toBe("Sales");
  });

  it("says what is wrong before sending, and places the server's 422 at its day", async () => {
    const { server, user } = setup();
    await waitFor(() => expect(q('[data-fw="queue-new"]')).toBeTruthy());
    await user.click(q('[data-fw="queue-new"]'));
    await user.click(q('[data-fw="queue-save"]'));
    expect(q('[data-fw="problem-name"]').textContent).toBe("Give the department a name.");
    await fill(user, q('[data-fw="queue-name"]'), "Support");
    await user.click(q('[data-fw="always-open"]'));
    const tuesday = q('[data-day="tue"]');
    await fill(user, q('[data-fw="interval-end"]', tuesday), "08:00");
    await user.click(q('[data-fw="queue-save"]'));
    expect(q('[data-fw="day-error"]', tuesday).textContent).toContain("ends before it starts");
    expect(server.posted("/api/v1/queues")).toHaveLength(0);

    await fill(user, q('[data-fw="interval-end"]', tuesday), "18:00");
    server.answers["POST /api/v1/queues"] = json(
      {
        error: {
          code: "validation_error",
          message: "Invalid request.",
          details: [{ field: "hours.weekly.tue.0", message: "Value error, not on Tuesdays", type: "value_error" }],
        },
      },
      422,
    );
    await user.click(q('[data-fw="queue-save"]'));
    await waitFor(() => expect(q('[data-fw="day-error"]', tuesday)?.textContent).toBe("not on Tuesdays"));
    server.answers["POST /api/v1/queues"] = json(
      { error: { code: "queue_name_taken", message: "The account has a queue named Support." } },
      409,
    );
    await user.click(q('[data-fw="queue-save"]'));
    await waitFor(() => expect(q('[data-fw="queue-errors"]')?.textContent).toBe("The account has a queue named Support."));
  });

  it("edits a department's members and deletes another after asking", async () => {
    const { server, user } = setup();
    server.queues = [
      queue("q1", "Sales", {
        members: [{ user_id: "u2", priority: 0 }],
        open_now: false,
        hours: { time_zone: "UTC", weekly: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] }, holidays: [] },
      }),
      queue("q2", "Support", { failover_queue_id: "q1" }),
    ];
    cleanup();
    render(<DepartmentsAdmin api={server.api()} />);
    await waitFor(() => expect(rows()).toHaveLength(2));
    expect(q('[data-fw="queue-open"]', rows()[0]).textContent).toBe("closed");
    expect(rows()[1].textContent).toContain("then Sales");

    await user.click(q('[data-fw="queue-edit"]', rows()[0]));
    expect(q('[data-fw="always-open"]')).toHaveProperty("checked", false);
    await waitFor(() => expect(q('[data-fw="member"]').textContent).toContain("Ben"));
    await user.click(q('[data-fw="member-remove"]'));
    await user.selectOptions(q('[data-fw="member-pick"]'), "u3");
    await user.click(q('[data-fw="member-add"]'));
    await user.click(q('[data-fw="queue-save"]'));
    await waitFor(() => expect(rows()).toHaveLength(2));
    const put = server.calls.find((c) => c.method === "PUT")!;
    expect(put.path).toBe("/api/v1/queues/q1");
    expect(put.body).toMatchObject({ name: "Sales", members: [{ user_id: "u3", priority: 0 }] });

    await user.click(q('[data-fw="queue-delete"]', rows()[1]));
    await user.click(within(rows()[1]).getByText("Delete"));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(server.calls.filter((c) => c.method === "DELETE").map((c) => c.path)).toEqual(["/api/v1/queues/q2"]);
  });

  it("sets a department's gap between two chats and an operator's languages (ROUTE-3)", async () => {
    const { server, user } = setup();
    server.queues = [queue("q1", "Sales", { min_gap_seconds: 30 })];
    cleanup();
    render(<DepartmentsAdmin api={server.api()} />);
    await waitFor(() => expect(rows()).toHaveLength(1));
    await user.click(q('[data-fw="queue-edit"]', rows()[0]));
    expect(q('[data-fw="queue-min-gap"]')).toHaveProperty("value", "30");
    await fill(user, q('[data-fw="queue-min-gap"]'), "4000");
    await user.click(q('[data-fw="queue-save"]'));
    expect(document.body.textContent).toContain("The gap between two chats is 0 to 3600 seconds.");
    await fill(user, q('[data-fw="queue-min-gap"]'), "45");
    await user.click(q('[data-fw="queue-save"]'));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(server.calls.find((c) => c.method === "PUT")!.body).toMatchObject({ name: "Sales", min_gap_seconds: 45 });

    const ben = () => q('[data-fw="operator-language"][data-user-id="u2"]');
    await waitFor(() => expect(ben()).toBeTruthy());
    await fill(user, q('[data-fw="operator-languages-input"]', ben()), "de, fr-CH, DE");
    await user.click(q('[data-fw="operator-languages-save"]', ben()));
    await waitFor(() => expect(server.posted("/api/v1/operators/u2/languages")).toEqual([{ languages: ["de", "fr"] }]));
    await waitFor(() => expect(q('[data-fw="operator-languages-input"]', ben())).toHaveProperty("value", "de, fr"));
    await fill(user, q('[data-fw="operator-languages-input"]', ben()), "3x");
    await user.click(q('[data-fw="operator-languages-save"]', ben()));
    expect(ben().textContent).toContain("Write languages as codes");
    expect(server.posted("/api/v1/operators/u2/languages")).toHaveLength(1);
  });
});
