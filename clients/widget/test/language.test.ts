import { afterEach, describe, expect, it, vi } from "vitest";
import { useLanguage } from "../src/chat/i18n";
import { createRating } from "../src/chat/rating";
import { chooseLanguage, pageLanguage } from "../src/shared/language";
import type { PublicSite } from "../src/shared/types";
import { useChatPage } from "./chat_page";
import { conversation, fakeFetch, settle } from "./helpers";

describe("the widget's language (EMB-11)", () => {
  it("takes the site's setting, else the page's lang, else the browser's, else English", () => {
    expect(chooseLanguage("ru", "pl", "ar")).toBe("ru");
    expect(chooseLanguage("auto", "pl-PL", "ar")).toBe("pl");
    expect(chooseLanguage(undefined, "", "de-DE", "pt-PT")).toBe("pt-BR");
    expect(chooseLanguage("auto", "fr", "ar_EG")).toBe("ar");
    expect(chooseLanguage("auto", "fr", "de")).toBe("en");
    document.documentElement.lang = "pl";
    expect(pageLanguage("auto")).toBe("pl");
    expect(pageLanguage("ar")).toBe("ar");
    document.documentElement.lang = "";
  });
});

describe("a localized widget", () => {
  const page = useChatPage();
  afterEach(() => {
    useLanguage("en");
  });
  const { $ } = page;

  it("speaks Arabic right to left, and English again for an English site", async () => {
    const server = fakeFetch({
      "GET /api/v1/conversations/current": () => ({ status: 200, body: conversation({ state: "waiting" }) }),
      "GET /api/v1/conversations/c1/messages": () => ({ status: 200, body: { messages: [] } }),
    });
    const site: PublicSite = { id: "s1", name: "Shop", widget: { sound: false }, language: "ar" };
    page.mount(site, server.fetch);
    await settle();
    expect($("panel").dir).toBe("rtl");
    expect($("panel").lang).toBe("ar");
    expect($<HTMLTextAreaElement>("input").placeholder).toBe("اكتب رسالة…");
    expect($("status").textContent).toBe("في انتظار أحد الموظفين…");
    page.reload();
    page.mount({ ...site, language: "en" }, server.fetch);
    await settle();
    expect($("panel").dir).toBe("ltr");
    expect($<HTMLTextAreaElement>("input").placeholder).toBe("Write a message…");
  });

  it("offers the post-chat rating once the chat has ended, in the visitor's language (EMB-10)", async () => {
    useLanguage("pt-BR");
    const send = vi.fn(async () => ({}));
    const rating = createRating(page.box, send);
    page.box.append(rating.element);
    rating.update(conversation({ state: "active" }), true);
    expect(rating.element.hidden).toBe(true);
    rating.update(conversation({ state: "closed" }), true);
    expect(rating.element.hidden).toBe(false);
    expect(rating.element.textContent).toContain("Como foi o atendimento?");
    const faces = [...page.root.querySelectorAll<HTMLButtonElement>('[data-fw="rating-face"]')];
    expect(faces).toHaveLength(5);
    expect($<HTMLButtonElement>("rating-send").disabled).toBe(true);
    faces[3].click();
    $<HTMLTextAreaElement>("rating-comment").value = "  <b>rápido</b> ";
    $("rating-send").click();
    await settle();
    expect(send).toHaveBeenCalledWith("c1", 4, "<b>rápido</b>");
    expect($("rating-result").textContent).toBe("Obrigado pela avaliação!");
    expect(page.root.querySelector("b")).toBeNull();
    rating.update(conversation({ state: "closed" }), true);
    expect($("rating-send").hidden).toBe(true); // rated: not offered again
  });
});

describe("system messages (transfer notices)", () => {
  afterEach(() => useLanguage("en"));
  it("show in the widget's language when known, as written otherwise", async () => {
    const { systemText } = await import("../src/chat/system_texts");
    useLanguage("ru");
    expect(systemText("You are being connected to Olga.")).toBe("Вас соединяют с: Olga.");
    expect(systemText("You are being connected to another colleague.")).toBe("Вас соединяют с другим сотрудником.");
    expect(systemText("Something new.")).toBe("Something new.");
    useLanguage("en");
    expect(systemText("You are being connected to Olga.")).toBe("You are being connected to Olga.");
  });
});
