import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ApiClient } from "../src/api/client";
import { SmsAlerts } from "../src/ui/layout/SmsAlerts";

describe("the SMS alert form", () => {
  it("refuses a number without a country code and saves an E.164 one", async () => {
    const calls: Array<{ method: string; path: string; body: unknown }> = [];
    const api = {
      request: vi.fn(async (method: string, path: string, options: { body: Record<string, unknown> }) => {
        if (method === "GET") return { sms_enabled: false, phone: null, sms_available: true };
        calls.push({ method, path, body: options.body });
        return { ...options.body, sms_available: true };
      }),
    } as unknown as ApiClient;
    render(<SmsAlerts api={api} onClose={() => {}} />);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("checkbox"));
    const phone = screen.getByRole("textbox");
    await user.type(phone, "0151 1234567");
    expect(screen.getByText(/Start with \+/)).toBeTruthy();
    expect((screen.getByRole("button", { name: "Save" }) as HTMLButtonElement).disabled).toBe(true);
    await user.clear(phone);
    await user.type(phone, "+49 151 1234567");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByText("On: +491511234567")).toBeTruthy());
    expect(calls).toEqual([
      { method: "PUT", path: "/api/v1/me/alerts", body: { sms_enabled: true, phone: "+491511234567" } },
    ]);
  });
});
