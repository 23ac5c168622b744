import { beforeEach, describe, expect, it, vi } from "vitest";
import { ATTACH_TEXT, formatSize, uploadError } from "../src/chat/attachments";
import type { Attachment, Message, PublicSite } from "../src/shared/types";
import { useChatPage } from "./chat_page";
import { conversation, fakeFetch, message, settle } from "./helpers";

const site: PublicSite = { id: "s1", name: "Shop", widget: { title: "Ask us", sound: false } };
const PNG_REF: Attachment = { id: "a-png", name: "crack.png", content_type: "image/png", size: 2048 };
const PDF_REF: Attachment = { id: "a-pdf", name: "label <b>2</b>.pdf", content_type: "application/pdf", size: 1_450_000 };

function gateway(upload: (name: string) => { status: number; body?: unknown }) {
  const messages: Message[] = [message(1, { sender_type: "visitor", sender_name: null, text: "Hi" })];
  return fakeFetch({
    "GET /api/v1/conversations/current": () => ({ status: 200, body: conversation({ state: "active", last_seq: 1 }) }),
    "GET /api/v1/conversations/c1/messages": () => ({ status: 200, body: { messages } }),
    "POST /api/v1/conversations/c1/attachments": ({ url }) => upload(new URL(url).searchParams.get("name") || ""),
    "GET /api/v1/conversations/c1/attachments/a-png": () => ({ status: 200, body: "png-bytes" }),
    "GET /api/v1/conversations/c1/attachments/a-pdf": () => ({ status: 200, body: "pdf-bytes" }),
  });
}

describe("attachments in the widget (CHAT-10)", () => {
  const page = useChatPage();
  beforeEach(() => {
    localStorage.setItem("fw:conv:k", JSON.stringify({ conversation_id: "c1", last_seq: 1, open: true }));
    let n = 0;
    URL.createObjectURL = vi.fn(() => `blob:https://shop.example/${++n}`);
    URL.revokeObjectURL = vi.fn();
  });

  const { $ } = page;

  async function start(server: ReturnType<typeof gateway>) {
    page.mount(site, server.fetch);
    await settle();
  }

  function pick(file: File) {
    const input = $<HTMLInputElement>("attach-input");
    Object.defineProperty(input, "files", { value: [file], configurable: true });
    input.dispatchEvent(new Event("change"));
  }

  it("sends a picked image with the visitor's token in the header and shows it from a fetched blob", async () => {
    const sent = message(2, { sender_type: "visitor", sender_name: null, text: PNG_REF.name, attachment: PNG_REF });
    const server = gateway(() => ({ status: 201, body: sent }));
    await start(server);
    expect($("attach").getAttribute("aria-label")).toBe(ATTACH_TEXT.attach);
    const file = new File([new Uint8Array([137, 80, 78, 71])], "crack.png", { type: "image/png" });
    pick(file);
    expect($("attach-status").textContent).toContain("crack.png");
    await settle();

    const upload = server.calls.find((c) => c.method === "POST" && c.url.includes("/attachments"))!;
    expect(upload.url).toContain("name=crack.png");
    expect(upload.url).not.toContain("tok");
    expect(upload.init.body).toBe(file);
    expect((upload.init.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect((upload.init.headers as Record<string, string>)["Content-Type"]).toBe("application/octet-stream");

    const thumb = $<HTMLImageElement>("attachment-thumb");
    expect(thumb.alt).toBe("crack.png");
    expect(thumb.getAttribute("src")).toMatch(/^blob:/);
    const fetched = server.calls.find((c) => c.url.endsWith("/attachments/a-png"))!;
    expect((fetched.init.headers as Record<string, string>).Authorization).toBe("Bearer tok");
    expect($("attach-status").hidden).toBe(true);

    $("attachment-image").click(); // opens large in the panel; Close hides it
    await settle();
    expect($("attachment-viewer").hidden).toBe(false);
    expect($<HTMLImageElement>("viewer-image").getAttribute("src")).toBe(thumb.getAttribute("src"));
    $("viewer-close").click();
    expect($("attachment-viewer").hidden).toBe(true);
    expect(server.calls.filter((c) => c.url.endsWith("/attachments/a-png"))).toHaveLength(1); // fetched once
  });

  it("shows a PDF as a link with its name (as text) and size, downloaded on click", async () => {
    const server = gateway(() => ({ status: 500 }));
    await start(server);
    page.handle!.destroy();
    const pdf = message(2, { sender_type: "operator", text: PDF_REF.name, attachment: PDF_REF });
    const withPdf = fakeFetch({
      "GET /api/v1/conversations/current": () => ({ status: 200, body: conversation({ state: "active", last_seq: 2 }) }),
      "GET /api/v1/conversations/c1/messages": () => ({ status: 200, body: { messages: [pdf] } }),
      "GET /api/v1/conversations/c1/attachments/a-pdf": () => ({ status: 200, body: "pdf" }),
    });
    page.box.replaceChildren();
    page.mount(site, withPdf.fetch);
    await settle();
    const link = $<HTMLAnchorElement>("attachment-file");
    expect(link.querySelector(".fw-file-name")!.textContent).toBe("label <b>2</b>.pdf");
    expect(link.querySelector("b")).toBeNull();
    expect(link.textContent).toContain("1.4 MB");
    expect(withPdf.calls.some((c) => c.url.includes("/attachments/"))).toBe(false); // not before it is asked for
    const clicked = vi.fn();
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicked(this.getAttribute("download"), this.getAttribute("href"));
    };
    try {
      link.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
      await settle();
    } finally {
      HTMLAnchorElement.prototype.click = click;
    }
    expect(clicked).toHaveBeenCalledWith("label <b>2</b>.pdf", expect.stringMatching(/^blob:/));
  });

  it("says why the server refused a file: too large, wrong type", async () => {
    const server = gateway((name) =>
      name === "big.png"
        ? { status: 413, body: { error: { code: "attachment_too_large", message: "An attachment may have at most 10 bytes." } } }
        : { status: 415, body: { error: { code: "unsupported_type", message: "Only images..." } } },
    );
    await start(server);
    pick(new File(["x".repeat(20)], "big.png"));
    await settle();
    expect($("error").hidden).toBe(false);
    expect($("error").textContent).toBe(`big.png: ${ATTACH_TEXT.tooLarge}`);
    pick(new File(["<svg/>"], "logo.svg"));
    await settle();
    expect($("error").textContent).toBe(`logo.svg: ${ATTACH_TEXT.wrongType}`);
    expect(page.root.querySelector('[data-fw="attachment-image"]')).toBeNull();
  });

  it("asks for a first message before a file when no conversation is open", async () => {
    localStorage.clear();
    const server = fakeFetch({});
    page.mount(site, server.fetch, { onlySaved: true });
    await settle();
    pick(new File(["x"], "a.png"));
    await settle();
    expect($("error").textContent).toBe(ATTACH_TEXT.startFirst);
    expect(server.calls.filter((c) => c.method === "POST")).toHaveLength(0);
  });

  it("speaks the widget's language (EMB-11)", async () => {
    page.mount({ ...site, language: "pl" }, fakeFetch({}).fetch);
    expect($("attach").getAttribute("aria-label")).toBe("Dołącz obraz lub PDF");
    page.reload();
    page.mount(site, fakeFetch({}).fetch);
    expect(ATTACH_TEXT.attach).toBe("Attach an image or a PDF");
  });

  it("words sizes and refusals", () => {
    expect([formatSize(900), formatSize(12_300), formatSize(1_450_000)]).toEqual(["900 B", "12 KB", "1.4 MB"]);
    expect(uploadError("empty_file")).toBe(ATTACH_TEXT.empty);
    expect(uploadError("")).toBe(ATTACH_TEXT.failed);
  });
});
