import { describe, expect, it, vi } from "vitest";
import { safeLogoUrl } from "../src/chat/look";
import { createView, type ViewCallbacks } from "../src/chat/view";
import type { PublicSite } from "../src/shared/types";
import { conversation } from "./helpers";

const GATEWAY = "https://gw.example";

function view(widget: PublicSite["widget"], operator?: ViewCallbacks["operator"]) {
  document.body.innerHTML = "";
  const host = document.createElement("div");
  document.body.appendChild(host);
  const root = host.attachShadow({ mode: "open" });
  const box = document.createElement("div");
  root.appendChild(box);
  const cb: ViewCallbacks = { send: vi.fn(() => "ok" as const), minimise: vi.fn(), endChat: vi.fn(), retry: vi.fn(), operator };
  const chat = createView(box, { id: "s", name: "Shop", widget }, cb, GATEWAY);
  const empty = { messages: [], pending: [], failed: [], connected: true, creating: false };
  return { root, render: (c: ReturnType<typeof conversation> | null) => chat.render({ conversation: c, ...empty }) };
}

describe("the chat header's logo or operator photo (EMB-3)", () => {
  it("draws a logo only from https or the gateway's own origin", () => {
    expect(safeLogoUrl("https://cdn.shop.example/logo.png", GATEWAY)).toBe("https://cdn.shop.example/logo.png");
    expect(safeLogoUrl("/console/floorwalker-logo.svg", GATEWAY)).toBe("https://gw.example/console/floorwalker-logo.svg");
    expect(safeLogoUrl("/logo.png", "http://127.0.0.1:8000")).toBe("http://127.0.0.1:8000/logo.png");
    for (const bad of ["javascript:alert(1)", "JavaScript:alert(1)", "data:image/svg+xml,<svg onload=alert(1)>", "http://shop.example/l.png", "//evil.example/l.png", "https://x/a\"onerror=1", "", null]) {
      expect(safeLogoUrl(bad, GATEWAY)).toBeNull();
    }
  });

  it("shows the logo in the header, then the answering operator's initials when the site shows operators", () => {
    const { root, render } = view({ logo_url: "https://cdn.shop.example/logo.png", show_operator_photo: true });
    render(null);
    const logo = root.querySelector<HTMLImageElement>('[data-fw="head-logo"] img')!;
    expect(logo.src).toBe("https://cdn.shop.example/logo.png");
    expect(logo.referrerPolicy).toBe("no-referrer");
    render(conversation({ state: "active", assigned_user_name: "Olga Petrova" }));
    expect(root.querySelector('[data-fw="head-logo"]')).toBeNull();
    expect(root.querySelector('[data-fw="operator-photo"]')!.textContent).toBe("OP");
  });

  it("draws nothing for an unsafe logo, and keeps the logo when operators are not shown", () => {
    const unsafe = view({ logo_url: "javascript:alert(1)" });
    unsafe.render(conversation({ state: "active", assigned_user_name: "Olga" }));
    expect(unsafe.root.querySelector("img")).toBeNull();
    const plain = view({ logo_url: "/logo.svg" });
    plain.render(conversation({ state: "active", assigned_user_name: "Olga" }));
    expect(plain.root.querySelector<HTMLImageElement>('[data-fw="head-logo"] img')!.src).toBe("https://gw.example/logo.svg");
  });

  it("shows the answering operator's photo once the gateway says it, their initials meanwhile and if it fails", async () => {
    const photo = "https://gw.example/photos/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MDEy";
    const operator = vi.fn(async () => ({ id: "u1", name: "Olga Petrova", photo_url: photo }));
    const { root, render } = view({ logo_url: "/logo.svg", show_operator_photo: true }, operator);
    const answered = conversation({ state: "active", assigned_user_id: "u1", assigned_user_name: "Olga Petrova" });
    render(answered);
    expect(root.querySelector('[data-fw="operator-photo"]')!.textContent).toBe("OP"); // until the answer
    await Promise.resolve();
    await Promise.resolve();
    const img = root.querySelector<HTMLImageElement>('[data-fw="operator-photo"] img')!;
    expect(img.src).toBe(photo);
    expect(img.referrerPolicy).toBe("no-referrer");
    render({ ...answered, last_seq: 3 }); // a new message: asked once per conversation and operator
    expect(operator).toHaveBeenCalledTimes(1);
    expect(operator).toHaveBeenCalledWith("c1");
    img.dispatchEvent(new Event("error"));
    expect(root.querySelector('[data-fw="operator-photo"] img')).toBeNull();
    expect(root.querySelector('[data-fw="operator-photo"]')!.textContent).toBe("OP");
  });

  it("keeps the initials for an operator without a photo or an unsafe address, and the logo while nobody answers", async () => {
    for (const photo_url of [null, "javascript:alert(1)", "http://elsewhere.example/o.png"]) {
      const operator = vi.fn(async () => ({ id: "u1", name: "Olga", photo_url }));
      const { root, render } = view({ logo_url: "/logo.svg", show_operator_photo: true }, operator);
      render(conversation({ state: "waiting" }));
      expect(root.querySelector('[data-fw="head-logo"] img')).not.toBeNull();
      expect(operator).not.toHaveBeenCalled();
      render(conversation({ state: "active", assigned_user_id: "u1", assigned_user_name: "Olga" }));
      await Promise.resolve();
      await Promise.resolve();
      expect(root.querySelector('[data-fw="operator-photo"] img')).toBeNull();
      expect(root.querySelector('[data-fw="operator-photo"]')!.textContent).toBe("O");
    }
  });
});
