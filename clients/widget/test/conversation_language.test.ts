/** A new conversation says the widget's language (EMB-11), so that routing offers it to operators speaking it. */
import { afterEach, describe, expect, it } from "vitest";
import { CATALOGUES, useLanguage } from "../src/chat/i18n";
import type { PublicSite } from "../src/shared/types";
import { useChatPage } from "./chat_page";
import { conversation, fakeFetch, message, settle } from "./helpers";

// The chat service's `StartConversation.language` (services/chat/api/schemas.py): a BCP 47 tag of at most 16.
const SERVER_ACCEPTS = /^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$/;

describe("the language of a new conversation", () => {
  const page = useChatPage();
  afterEach(() => {
    document.documentElement.lang = "";
    useLanguage("en");
  });

  /** Mount the widget for `site`, send a first message; the bodies of the conversations started. */
  async function firstMessage(site: PublicSite): Promise<Record<string, unknown>[]> {
    const started: Record<string, unknown>[] = [];
    const server = fakeFetch({
      "GET /api/v1/conversations/current": () => ({ status: 404, body: { error: { code: "no_open_conversation" } } }),
      "POST /api/v1/conversations": ({ body }) => {
        started.push(body as Record<string, unknown>);
        return { status: 201, body: conversation({ last_seq: 1 }) };
      },
      "GET /api/v1/conversations/c1/messages": () => ({ status: 200, body: { messages: [message(1, { sender_type: "visitor" })] } }),
    });
    page.mount(site, server.fetch);
    await settle();
    const input = page.$<HTMLTextAreaElement>("input");
    input.value = "Olá, vocês entregam no Porto?";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await settle();
    return started;
  }

  it("is the site's language when it names one, else the page's, as the panel speaks it", async () => {
    const site: PublicSite = { id: "s1", name: "Loja", widget: { sound: false }, language: "pt-BR" };
    expect(await firstMessage(site)).toEqual([{ text: "Olá, vocês entregam no Porto?", client_msg_id: expect.any(String), language: "pt-BR" }]);
    expect(page.$("panel").lang).toBe("pt-BR");
    page.reload();
    document.documentElement.lang = "ar-EG"; // the page's language, the site says "auto"
    const [sent] = await firstMessage({ id: "s1", name: "Shop", widget: { sound: false }, language: "auto" });
    expect(sent.language).toBe("ar");
  });

  it("is always a tag the chat service takes", () => {
    for (const language of ["en", ...Object.keys(CATALOGUES)]) {
      expect(language.length <= 16 && SERVER_ACCEPTS.test(language)).toBe(true);
    }
  });
});
