import { describe, expect, it } from "vitest";
import { PRECHAT_TEXT, prechatTexts, problemOf, type PrechatFields } from "../src/chat/prechat";
import type { Conversation, Message, PublicSite } from "../src/shared/types";
import { useChatPage } from "./chat_page";
import { conversation, fakeFetch, message, settle } from "./helpers";

const site: PublicSite = { id: "s1", name: "Shop", widget: { title: "Ask us", sound: false } };
const FORM: PrechatFields = { name: "required", email: "optional", phone: "off", question: "optional", question_label: "Your <b>order</b>?" };

/** `refuse`: the answers are refused; `needsAnswers`: a chat is refused until answers came (the server's check). */
function gateway(form: { fields: PrechatFields; shown: boolean; answered: boolean }, refuse = false, needsAnswers = false) {
  const state: { conversation: Conversation | null; messages: Message[]; answers: unknown[] } = { conversation: null, messages: [], answers: [] };
  const server = fakeFetch({
    "GET /api/v1/prechat-form": () => ({ status: 200, body: form }),
    "POST /api/v1/prechat": ({ body }) => {
      if (refuse) return { status: 422, body: { error: { code: "validation_error", message: "Invalid request: email." } } };
      state.answers.push(body);
      return { status: 200, body: { contact: true } };
    },
    "GET /api/v1/conversations/current": () => ({ status: 404, body: { error: { code: "no_open_conversation" } } }),
    "POST /api/v1/conversations": ({ body }) => {
      if (needsAnswers && !state.answers.length) {
        form.answered = false;
        return { status: 422, body: { error: { code: "prechat_required", message: "Answer the pre-chat form first: name." } } };
      }
      const { text, client_msg_id } = body as { text: string; client_msg_id: string };
      state.conversation = conversation({ last_seq: 1 });
      state.messages = [message(1, { sender_type: "visitor", sender_name: null, text, client_msg_id })];
      return { status: 201, body: state.conversation };
    },
    "GET /api/v1/conversations/c1/messages": () => ({ status: 200, body: { messages: state.messages } }),
  });
  return { ...server, state };
}

describe("pre-chat form (EMB-5)", () => {
  const page = useChatPage();

  const { $ } = page;
  const start = (server: ReturnType<typeof gateway>) => {
    page.mount(site, server.fetch);
  };

  it("asks the site's fields before the first message, then lets the visitor write", async () => {
    const server = gateway({ fields: FORM, shown: true, answered: false });
    start(server);
    await settle();
    expect($("prechat").hidden).toBe(false);
    expect($("composer").hidden).toBe(true);
    expect(page.root.querySelector('[data-fw="prechat-phone"]')).toBeNull(); // off: not asked
    const question = $<HTMLTextAreaElement>("prechat-question");
    expect(question.placeholder).toBe(`Your <b>order</b>? ${PRECHAT_TEXT.optional}`); // the site's text, as text
    expect(page.root.querySelector("b")).toBeNull();

    $<HTMLFormElement>("prechat").requestSubmit(); // the name is required
    await settle();
    expect($("prechat-error").textContent).toBe(PRECHAT_TEXT.required);
    expect(server.state.answers).toEqual([]);

    $<HTMLInputElement>("prechat-name").value = " Ana ";
    $<HTMLInputElement>("prechat-email").value = "ana@example.com";
    question.value = "#1234";
    $<HTMLFormElement>("prechat").requestSubmit();
    await settle();
    expect(server.state.answers).toEqual([{ name: "Ana", email: "ana@example.com", question: "#1234" }]);
    expect($("prechat").hidden).toBe(true);
    expect($("composer").hidden).toBe(false);
    const input = $<HTMLTextAreaElement>("input");
    input.value = "Where is my parcel?";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await settle();
    expect(server.state.messages.map((m) => m.text)).toEqual(["Where is my parcel?"]);
  });

  it("shows no form when the site has none, the visitor answered it, or it cannot be loaded", async () => {
    for (const form of [
      { fields: { ...FORM, name: "off" as const, email: "off" as const, question: "off" as const }, shown: false, answered: false },
      { fields: FORM, shown: true, answered: true },
    ]) {
      page.reload();
      start(gateway(form));
      await settle();
      expect($("prechat").hidden).toBe(true);
      expect($("composer").hidden).toBe(false);
    }
  });

  it("says what to check when the server refuses the answers", async () => {
    const server = gateway({ fields: FORM, shown: true, answered: false }, true);
    start(server);
    await settle();
    $<HTMLInputElement>("prechat-name").value = "Ana";
    $<HTMLFormElement>("prechat").requestSubmit();
    await settle();
    expect($("prechat-error").textContent).toBe(PRECHAT_TEXT.check);
    expect($("prechat").hidden).toBe(false);
    expect($<HTMLButtonElement>("prechat-send").disabled).toBe(false);
  });

  it("asks the form again when the server refuses to start the chat without it, and the message goes after", async () => {
    // the form loaded as answered (or was made required since): the server says which fields it still needs
    const server = gateway({ fields: FORM, shown: true, answered: true }, false, true);
    start(server);
    await settle();
    expect($("prechat").hidden).toBe(true);
    const input = $<HTMLTextAreaElement>("input");
    input.value = "Hello?";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await settle();
    expect($("prechat").hidden).toBe(false); // asked again, in place of the composer
    $<HTMLInputElement>("prechat-name").value = "Ana";
    $<HTMLFormElement>("prechat").requestSubmit();
    await settle();
    expect(server.state.answers).toEqual([{ name: "Ana" }]);
    $<HTMLButtonElement>("retry").click(); // the refused message, sent again
    await settle();
    expect(server.state.messages.map((m) => m.text)).toEqual(["Hello?"]);
  });

  it("checks emails and phones as the server does, in the visitor's language", () => {
    const fields: PrechatFields = { name: "off", email: "optional", phone: "optional", question: "off" };
    expect(problemOf(fields, { email: "ana@" })).toBe(PRECHAT_TEXT.badEmail);
    expect(problemOf(fields, { phone: "12" })).toBe(PRECHAT_TEXT.badPhone);
    expect(problemOf(fields, { phone: "call me" })).toBe(PRECHAT_TEXT.badPhone);
    expect(problemOf(fields, { email: "ana@example.com", phone: "+351 912-345-678" })).toBeNull();
    expect(prechatTexts("pt-BR").start).toBe("Iniciar conversa");
    expect(prechatTexts("xx").start).toBe(PRECHAT_TEXT.start);
  });
});
