import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ApiClient } from "../src/api/client";
import { Profile } from "../src/ui/profile/Profile";

const ME = { id: "u1", email: "olga@demo.example", name: "Olga Petrova", role: "operator", account_id: "a1" };
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

function fakeApi() {
  const calls: Array<{ method: string; path: string; body: unknown }> = [];
  const api = {
    request: vi.fn(async (method: string, path: string, options: { body?: unknown } = {}) => {
      calls.push({ method, path, body: options.body });
      if (method === "GET") return { ...ME, photo_url: null };
      if (method === "PUT") return { photo_url: "/photos/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };
      return undefined;
    }),
  } as unknown as ApiClient;
  return { api, calls };
}

describe("the operator's profile photo (EMB-3)", () => {
  it("uploads a photo as base64, shows it, and removes it", async () => {
    const { api, calls } = fakeApi();
    const { container } = render(<Profile api={api} onClose={() => {}} />);
    const user = userEvent.setup();
    await screen.findByText("OP"); // no photo yet: the initials
    const input = container.querySelector<HTMLInputElement>('[data-fw="photo-input"]')!;
    await user.upload(input, new File([PNG], "olga.png", { type: "image/png" }));
    await waitFor(() => expect(container.querySelector('[data-fw="photo-face"] img')).not.toBeNull());
    expect(container.querySelector('[data-fw="photo-face"] img')!.getAttribute("src")).toBe("/photos/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect(calls[1]).toEqual({ method: "PUT", path: "/api/v1/me/photo", body: { image_base64: btoa(String.fromCharCode(...PNG)) } });
    await user.click(screen.getByRole("button", { name: "Remove photo" }));
    await screen.findByText("OP");
    expect(calls[2]).toMatchObject({ method: "DELETE", path: "/api/v1/me/photo" });
  });

  it("says so before uploading a photo larger than 512 KB", async () => {
    const { api, calls } = fakeApi();
    const { container } = render(<Profile api={api} onClose={() => {}} />);
    await screen.findByText("OP");
    const big = new File([new Uint8Array(512 * 1024 + 1)], "big.png", { type: "image/png" });
    await userEvent.setup().upload(container.querySelector<HTMLInputElement>('[data-fw="photo-input"]')!, big);
    expect((await screen.findByRole("alert")).textContent).toContain("512 KB");
    expect(calls.filter((c) => c.method === "PUT")).toEqual([]);
  });
});
