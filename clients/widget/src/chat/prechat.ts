/**
 * The pre-chat form (EMB-5): the fields the site asks before the first message (name, email, phone, its own
 * question; each optional or required: `GET /api/v1/prechat-form`), in place of the composer until sent
 * (`POST /api/v1/prechat`; the server checks the answers again, and an email or phone makes the visitor a contact
 * the operator sees on the customer card). Not asked again once answered (the server remembers). Text only ever
 * goes through `textContent`; the question's text is the site's.
 */
import type { Catalogues, OtherLanguage } from "../shared/language";
import { ApiError } from "./api";
import type { ChatSnapshot } from "./session";
import { el } from "./dom";

export type FieldMode = "off" | "optional" | "required";
export interface PrechatFields {
  name: FieldMode;
  email: FieldMode;
  phone: FieldMode;
  question: FieldMode;
  question_label?: string | null;
}
export interface PrechatForm {
  fields: PrechatFields;
  shown: boolean;
  answered: boolean;
}
export type PrechatAnswers = Partial<Record<"name" | "email" | "phone" | "question", string>>;
export interface PrechatApi {
  prechatForm(): Promise<PrechatForm>;
  prechat(answers: PrechatAnswers): Promise<unknown>;
}

type Field = "name" | "email" | "phone" | "question";
const FIELDS: Field[] = ["name", "email", "phone", "question"];

export const PRECHAT_TEXT = {
  intro: "Before we start, tell us a little about you.",
  name: "Your name",
  email: "Your email",
  phone: "Your phone",
  optional: "(optional)",
  start: "Start chat",
  sending: "Sending…",
  required: "Please fill in the required fields.",
  badEmail: "Please check your email address.",
  badPhone: "Please check your phone number.",
  check: "Please check your answers.",
  network: "We could not be reached. Please try again.",
};
type Texts = typeof PRECHAT_TEXT;

/** The other languages of the widget (EMB-11); a text missing stays English. */
const CATALOGUES: Catalogues<Texts> = {
  "pt-BR": {
    intro: "Antes de começar, conte-nos um pouco sobre você.",
    name: "Seu nome",
    email: "Seu e-mail",
    phone: "Seu telefone",
    optional: "(opcional)",
    start: "Iniciar conversa",
    sending: "Enviando…",
    required: "Preencha os campos obrigatórios.",
    badEmail: "Verifique seu e-mail.",
    badPhone: "Verifique seu telefone.",
    check: "Verifique suas respostas.",
    network: "Não foi possível conectar. Tente de novo.",
  },
  ru: {
    intro: "Прежде чем начать, расскажите немного о себе.",
    name: "Ваше имя",
    email: "Ваш email",
    phone: "Ваш телефон",
    optional: "(необязательно)",
    start: "Начать чат",
    sending: "Отправка…",
    required: "Заполните обязательные поля.",
    badEmail: "Проверьте адрес email.",
    badPhone: "Проверьте номер телефона.",
    check: "Проверьте ответы.",
    network: "Не удалось связаться с сервером. Попробуйте ещё раз.",
  },
  pl: {
    intro: "Zanim zaczniemy, powiedz nam coś o sobie.",
    name: "Twoje imię",
    email: "Twój e-mail",
    phone: "Twój telefon",
    optional: "(opcjonalnie)",
    start: "Rozpocznij czat",
    sending: "Wysyłanie…",
    required: "Wypełnij wymagane pola.",
    badEmail: "Sprawdź adres e-mail.",
    badPhone: "Sprawdź numer telefonu.",
    check: "Sprawdź odpowiedzi.",
    network: "Brak połączenia. Spróbuj ponownie.",
  },
  ar: {
    intro: "قبل أن نبدأ، أخبرنا قليلاً عن نفسك.",
    name: "اسمك",
    email: "بريدك الإلكتروني",
    phone: "رقم هاتفك",
    optional: "(اختياري)",
    start: "ابدأ المحادثة",
    sending: "جارٍ الإرسال…",
    required: "يرجى ملء الحقول المطلوبة.",
    badEmail: "يرجى التحقق من بريدك الإلكتروني.",
    badPhone: "يرجى التحقق من رقم هاتفك.",
    check: "يرجى التحقق من إجاباتك.",
    network: "تعذر الاتصال. حاول مرة أخرى.",
  },
};

export function prechatTexts(language: string): Texts {
  return { ...PRECHAT_TEXT, ...CATALOGUES[language as OtherLanguage] }; // English: no catalogue
}

/** The first problem of the answers, checked as the server does (it checks again): a text, or null. */
export function problemOf(fields: PrechatFields, answers: PrechatAnswers, t: Texts = PRECHAT_TEXT): string | null {
  for (const name of FIELDS) if (fields[name] === "required" && !answers[name]) return t.required;
  if (answers.email && !/^[^@\s<>"]+@[^@\s<>"]+\.[^@\s<>"]+$/.test(answers.email)) return t.badEmail;
  const digits = (answers.phone || "").replace(/\D/g, "").length;
  if (answers.phone && (!/^\+?[0-9 ().-]+$/.test(answers.phone) || digits < 6 || digits > 15)) return t.badPhone;
  return null;
}

export interface Prechat {
  element: HTMLFormElement;
  /** Fetches the site's form (nothing is asked when it fails: the chat stays usable). */
  load(): Promise<void>;
  /** Shows the form (in place of the composer) when it is to be asked and no conversation is open or starting,
   * and the offline form is not shown; says whether it is shown. */
  render(panel: HTMLElement, snapshot: Pick<ChatSnapshot, "conversation" | "pending" | "creating">): boolean;
}

export function createPrechat(api: PrechatApi, language: string, changed: () => void): Prechat {
  const t = prechatTexts(language);
  const form = el("form", { class: "fw-offline-form", "data-fw": "prechat", novalidate: "" });
  form.hidden = true;
  let asking = false;
  let fields: PrechatFields | null = null;
  const inputs: Partial<Record<Field, HTMLInputElement | HTMLTextAreaElement>> = {};
  const error = el("div", { class: "fw-error", "data-fw": "prechat-error", role: "alert" });
  const button = el("button", { type: "submit", "data-fw": "prechat-send" }, t.start);
  const fail = (text: string) => {
    error.textContent = text;
    error.hidden = false;
  };

  const build = (f: PrechatFields) => {
    error.hidden = true;
    const children: HTMLElement[] = [el("div", {}, t.intro)];
    for (const name of FIELDS) {
      if (f[name] === "off") continue;
      const label = name === "question" ? f.question_label || "" : t[name];
      const shown = f[name] === "optional" ? `${label} ${t.optional}` : label;
      const attrs: Record<string, string> = { "data-fw": `prechat-${name}`, "aria-label": shown, placeholder: shown };
      if (f[name] === "required") attrs["aria-required"] = "true";
      if (name !== "question") attrs.type = name === "email" ? "email" : name === "phone" ? "tel" : "text";
      if (name !== "question") attrs.autocomplete = name === "phone" ? "tel" : name;
      const input = name === "question" ? el("textarea", attrs) : el("input", attrs);
      inputs[name] = input;
      children.push(input);
    }
    form.replaceChildren(...children, button, error);
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!fields) return;
    const answers: PrechatAnswers = {};
    for (const name of FIELDS) {
      const value = inputs[name]?.value.trim();
      if (value) answers[name] = value;
    }
    const problem = problemOf(fields, answers, t);
    if (problem) return fail(problem);
    error.hidden = true;
    button.disabled = true;
    button.textContent = t.sending;
    api.prechat(answers).then(
      () => {
        asking = false;
        changed();
      },
      (reason: unknown) => {
        button.disabled = false;
        button.textContent = t.start;
        fail(reason instanceof ApiError && reason.status === 422 ? t.check : t.network);
      },
    );
  });

  return {
    element: form,
    async load() {
      try {
        const loaded = await api.prechatForm();
        if (!loaded.shown || loaded.answered) return;
        fields = loaded.fields;
        build(fields);
        asking = true;
        changed();
      } catch {
        // no form: the visitor chats at once (the form is a courtesy, never a wall)
      }
    },
    render(panel, { conversation, pending, creating }) {
      const offline = panel.querySelector<HTMLElement>("[data-fw=offline]");
      const before = (!conversation || conversation.state === "closed") && !pending.length && !creating;
      const shown = asking && before && (!offline || offline.hidden);
      form.hidden = !shown;
      const composer = panel.querySelector<HTMLElement>("[data-fw=composer]");
      if (shown && composer) composer.hidden = true;
      return shown;
    },
  };
}
