import { cleanup, waitFor } from "@testing-library/react";
import { render } from "./render";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../src/api/client";
import { storageSessionStore } from "../src/api/tokens";
import type { Attachment, Message } from "../src/types";
import { formatSize, uploadError } from "../src/ui/chat/Attachments";
import { ChatView } from "../src/ui/ChatView";
import { conversation, json, message, tokens } from "./fakes";

afterEach(cleanup);

const PNG: Attachment = { id: "a-png", name: "crack.png", content_type: "image/png", size: 2048 };
const PDF: Attachment = { id: "a-pdf", name: "<b>label</b>.pdf", content_type: "application/pdf", size: 1_450_000 };

interface Call {
  method: string;
  path: string;
  auth: string | null;
  body: unknown;
  type: string | null;
}

function server(upload: (path: string) => Response) {
  const calls: Call[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    const call = {
      method: init.method ?? "GET",
      path: String(input),
      auth: headers.Authorization ?? null,
      body: init.body,
      type: headers["Content-Type"] ?? null,
    };
    calls.push(call);
    if (call.method === "POST") return upload(call.path);
    if (call.path.endsWith("/attachments/a-png")) return new Response(new Blob(["png"], { type: "image/png" }));
    if (call.path.endsWith("/attachments/a-pdf")) return new Response(new Blob(["pdf"], { type: "application/pdf" }));
    return json({ error: { code: "not_found", message: "no" } }, 404);
  });
  const store = storageSessionStore(null);
  const t = tokens("acc");
  store.save({ accessToken: "acc", refreshToken: "r", expiresAt: Date.now() + 900_000, user: t.user, accounts: [] });
  return { api: new ApiClient({ fetch: fetch as unknown as typeof globalThis.fetch, store }), calls };
}

function chat(api: ApiClient, messages: Message[], onSent = vi.fn()) {
  render(
    <ChatView
      conversation={conversation({ state: "active", assigned_user_id: "u1" })}
      messages={messages}
      pending={[]}
      visitor={undefined}
      canWrite
      now={Date.now()}
      onAccept={vi.fn()}
      onClose={vi.fn()}
      onSend={() => true}
      onRetry={vi.fn()}
      onDiscard={vi.fn()}
      attachments={{ api, onSent }}
    />,
  );
  return onSent;
}

const q = (name: string) => document.querySelector<HTMLElement>(`[data-fw="${name}"]`);

describe("attachments in the console (CHAT-10)", () => {
  beforeEach(() => {
    let n = 0;
    URL.createObjectURL = vi.fn(() => `blob:http://console.test/${++n}`);
    URL.revokeObjectURL = vi.fn();
  });

  it("shows an image fetched with the operator's token as a thumbnail that opens large", async () => {
    const { api, calls } = server(() => json({}, 500));
    const conversationId = conversation().id;
    chat(api, [message(1, { conversation_id: conversationId, text: PNG.name, attachment: PNG })]);
    await waitFor(() => expect(q("attachment-thumb")?.getAttribute("src")).toMatch(/^blob:/));
    const fetched = calls.find((c) => c.path.endsWith("/attachments/a-png"))!;
    expect(fetched.auth).toBe("Bearer acc");
    expect(fetched.path).not.toContain("acc");
    expect((q("attachment-thumb") as HTMLImageElement).alt).toBe("crack.png");
    await userEvent.click(q("attachment-image")!);
    expect(q("attachment-viewer")).not.toBeNull();
    expect(q("viewer-image")?.getAttribute("src")).toBe(q("attachment-thumb")?.getAttribute("src"));
    await userEvent.click(q("viewer-close")!);
    expect(q("attachment-viewer")).toBeNull();
  });

  it("shows a PDF as a link with its name as text and its size, fetched only when opened", async () => {
    const { api, calls } = server(() => json({}, 500));
    chat(api, [message(1, { text: PDF.name, attachment: PDF })]);
    const link = q("attachment-file")!;
    expect(link.querySelector(".attachment-name")!.textContent).toBe("<b>label</b>.pdf");
    expect(link.querySelector("b")).toBeNull();
    expect(link.textContent).toContain("1.4 MB");
    expect(calls.some((c) => c.path.includes("/attachments/"))).toBe(false);
    const saved = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => undefined);
    link.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
    await waitFor(() => expect(saved).toHaveBeenCalled());
    expect(calls.find((c) => c.path.endsWith("/attachments/a-pdf"))!.auth).toBe("Bearer acc");
  });

  it("sends a picked file as raw bytes and says why the server refused one", async () => {
    const sentMessage = message(2, { sender_type: "operator", text: "photo.png", attachment: { ...PNG, name: "photo.png" } });
    const { api, calls } = server((path) =>
      path.includes("name=big.png")
        ? json({ error: { code: "attachment_too_large", message: "An attachment may have at most 10 bytes." } }, 413)
        : path.includes("name=page.html")
          ? json({ error: { code: "unsupported_type", message: "no" } }, 415)
          : json(sentMessage, 201),
    );
    const onSent = chat(api, []);
    const input = q("attach-input") as HTMLInputElement;
    const photo = new File(["png"], "photo.png", { type: "image/png" });
    await userEvent.upload(input, photo);
    await waitFor(() => expect(onSent).toHaveBeenCalledWith(sentMessage));
    const upload = calls.find((c) => c.method === "POST")!;
    expect(upload.path).toMatch(/\/attachments\?name=photo\.png&client_msg_id=/);
    expect(upload.body).toBe(photo);
    expect(upload.type).toBe("application/octet-stream");
    expect(upload.auth).toBe("Bearer acc");

    await userEvent.upload(input, new File(["x".repeat(20)], "big.png", { type: "image/png" }));
    await waitFor(() => expect(q("attach-error")?.textContent).toContain("big.png: Too large"));
    await userEvent.upload(input, new File(["<html>"], "page.html", { type: "image/png" }));
    await waitFor(() => expect(q("attach-error")?.textContent).toContain("Only images"));
  });

  it("words sizes and refusals", () => {
    expect([formatSize(512), formatSize(20_400), formatSize(3_210_000)]).toEqual(["512 B", "20 KB", "3.2 MB"]);
    expect(uploadError(new Error("x"))).toBe("The file could not be sent.");
  });
});
