/**
 * The chat UI's translations (EMB-11): English is written where each text is used (`TEXT` in view.ts,
 * `OFFLINE_TEXT`, `EDIT_TEXT`, `RATING_TEXT`); `localize` copies the chosen language's catalogue over those objects
 * before the view is built, and says which language and direction the panel takes. A text missing from a catalogue
 * stays English. Numbers of minutes use the abbreviation "min" in every language (no plural rules to carry).
 */
import type { PublicSite } from "../shared/types";
import { isRightToLeft, type Language, type OtherLanguage, pageLanguage } from "../shared/language";
import { TEXT } from "./view";
import { OFFLINE_TEXT } from "./offline";
import { EDIT_TEXT } from "./edits";
import { RATING_TEXT } from "./rating";
import { setSystemLanguage } from "./system_texts";

/** One language's texts of the view, the offline form, the edits and the rating (`Catalogues` per language). */
interface Catalogue {
  view: Partial<typeof TEXT>;
  offline: Partial<typeof OFFLINE_TEXT>;
  edits: Partial<typeof EDIT_TEXT>;
  rating: Partial<typeof RATING_TEXT>;
}

const min = (seconds: number) => Math.round(seconds / 60);

export const CATALOGUES: Record<OtherLanguage, Catalogue> = {
  "pt-BR": {
    view: {
      waiting: "Aguardando um atendente…",
      closed: "Conversa encerrada",
      operator: "Atendente",
      connecting: "Conectando…",
      typing: "está digitando…",
      endChat: "Encerrar conversa",
      minimise: "Minimizar chat",
      placeholder: "Escreva uma mensagem…",
      send: "Enviar",
      sending: "Enviando…",
      retrying: "Ainda não enviada, tentando de novo…",
      notSent: "Não enviada.",
      retry: "Tentar de novo",
      tooLong: "Esta mensagem é longa demais.",
      topic: "Assunto",
      position: (n) => `Você é o número ${n} na fila`,
      wait: (s) => (s < 60 ? "um atendente vai falar com você em instantes" : `cerca de ${min(s)} min`),
      nobody: (queue) => `Ninguém está disponível em ${queue} agora.`,
      hours: (hours) => `Horário de atendimento: ${hours}`,
    },
    offline: {
      intro: "Deixe uma mensagem e responderemos por e-mail.",
      name: "Seu nome (opcional)",
      email: "Seu e-mail",
      message: "Sua mensagem",
      send: "Enviar mensagem",
      sending: "Enviando…",
      sent: (email) => `Obrigado! Responderemos em ${email}.`,
      transcript: "Enviar esta conversa por e-mail",
      instead: "Não posso esperar — me mande um e-mail",
      transcriptSent: (email) => `A conversa está a caminho de ${email}.`,
      ticketSent: (email) => `Responderemos por e-mail em ${email}.`,
      needEmail: "Informe seu endereço de e-mail.",
      needMessage: "Escreva uma mensagem.",
      badInput: "Verifique seu e-mail e sua mensagem.",
      network: "Não foi possível nos conectar. Tente de novo.",
    },
    edits: { deleted: "mensagem apagada", edited: "editada", reply: "Responder", replyTo: "Respondendo a", cancel: "Cancelar resposta", emoji: "Emoji" },
    rating: { ask: "Como foi o atendimento?", comment: "Comentário (opcional)", send: "Enviar avaliação", thanks: "Obrigado pela avaliação!", failed: "Não foi possível enviar a avaliação.", faces: ["Péssimo", "Ruim", "Regular", "Bom", "Ótimo"] },
  },
  ru: {
    view: {
      waiting: "Ожидаем оператора…",
      closed: "Разговор завершён",
      operator: "Оператор",
      connecting: "Подключение…",
      typing: "печатает…",
      endChat: "Завершить чат",
      minimise: "Свернуть чат",
      placeholder: "Напишите сообщение…",
      send: "Отправить",
      sending: "Отправка…",
      retrying: "Ещё не отправлено, пробуем снова…",
      notSent: "Не отправлено.",
      retry: "Повторить",
      tooLong: "Сообщение слишком длинное.",
      topic: "Тема",
      position: (n) => `Ваш номер в очереди: ${n}`,
      wait: (s) => (s < 60 ? "оператор скоро ответит" : `около ${min(s)} мин.`),
      nobody: (queue) => `Сейчас в «${queue}» никого нет.`,
      hours: (hours) => `Часы работы: ${hours}`,
    },
    offline: {
      intro: "Оставьте сообщение, и мы ответим по электронной почте.",
      name: "Ваше имя (необязательно)",
      email: "Ваш e-mail",
      message: "Ваше сообщение",
      send: "Отправить сообщение",
      sending: "Отправка…",
      sent: (email) => `Спасибо! Мы ответим на ${email}.`,
      transcript: "Отправить мне этот чат",
      instead: "Не могу ждать — напишите мне",
      transcriptSent: (email) => `Чат отправлен на ${email}.`,
      ticketSent: (email) => `Мы ответим на ${email}.`,
      needEmail: "Укажите адрес электронной почты.",
      needMessage: "Напишите сообщение.",
      badInput: "Проверьте адрес почты и сообщение.",
      network: "Не удалось связаться с нами. Попробуйте ещё раз.",
    },
    edits: { deleted: "сообщение удалено", edited: "изменено", reply: "Ответить", replyTo: "Ответ на", cancel: "Отменить ответ", emoji: "Эмодзи" },
    rating: { ask: "Как вам наша помощь?", comment: "Комментарий (необязательно)", send: "Отправить оценку", thanks: "Спасибо за оценку!", failed: "Не удалось отправить оценку.", faces: ["Ужасно", "Плохо", "Нормально", "Хорошо", "Отлично"] },
  },
  pl: {
    view: {
      waiting: "Czekamy na konsultanta…",
      closed: "Rozmowa zakończona",
      operator: "Konsultant",
      connecting: "Łączenie…",
      typing: "pisze…",
      endChat: "Zakończ czat",
      minimise: "Zminimalizuj czat",
      placeholder: "Napisz wiadomość…",
      send: "Wyślij",
      sending: "Wysyłanie…",
      retrying: "Jeszcze nie wysłano, próbujemy ponownie…",
      notSent: "Nie wysłano.",
      retry: "Ponów",
      tooLong: "Ta wiadomość jest za długa.",
      topic: "Temat",
      position: (n) => `Jesteś ${n}. w kolejce`,
      wait: (s) => (s < 60 ? "konsultant zaraz się odezwie" : `około ${min(s)} min`),
      nobody: (queue) => `Nikt z ${queue} nie jest teraz dostępny.`,
      hours: (hours) => `Godziny pracy: ${hours}`,
    },
    offline: {
      intro: "Zostaw wiadomość, odpowiemy e-mailem.",
      name: "Twoje imię (opcjonalnie)",
      email: "Twój e-mail",
      message: "Twoja wiadomość",
      send: "Wyślij wiadomość",
      sending: "Wysyłanie…",
      sent: (email) => `Dziękujemy! Odpowiemy na ${email}.`,
      transcript: "Wyślij mi tę rozmowę",
      instead: "Nie mogę czekać — napiszcie do mnie",
      transcriptSent: (email) => `Rozmowa jest w drodze na ${email}.`,
      ticketSent: (email) => `Odpowiemy e-mailem na ${email}.`,
      needEmail: "Podaj adres e-mail.",
      needMessage: "Napisz wiadomość.",
      badInput: "Sprawdź adres e-mail i wiadomość.",
      network: "Nie udało się połączyć. Spróbuj ponownie.",
    },
    edits: { deleted: "wiadomość usunięta", edited: "edytowano", reply: "Odpowiedz", replyTo: "Odpowiedź na", cancel: "Anuluj odpowiedź", emoji: "Emoji" },
    rating: { ask: "Jak oceniasz rozmowę?", comment: "Komentarz (opcjonalnie)", send: "Wyślij ocenę", thanks: "Dziękujemy za ocenę!", failed: "Nie udało się wysłać oceny.", faces: ["Fatalnie", "Słabo", "Przeciętnie", "Dobrze", "Świetnie"] },
  },
  ar: {
    view: {
      waiting: "في انتظار أحد الموظفين…",
      closed: "انتهت المحادثة",
      operator: "الموظف",
      connecting: "جارٍ الاتصال…",
      typing: "يكتب…",
      endChat: "إنهاء المحادثة",
      minimise: "تصغير المحادثة",
      placeholder: "اكتب رسالة…",
      send: "إرسال",
      sending: "جارٍ الإرسال…",
      retrying: "لم تُرسل بعد، نحاول مرة أخرى…",
      notSent: "لم تُرسل.",
      retry: "إعادة المحاولة",
      tooLong: "هذه الرسالة طويلة جدًا.",
      topic: "الموضوع",
      position: (n) => `ترتيبك في قائمة الانتظار: ${n}`,
      wait: (s) => (s < 60 ? "سيتواصل معك أحد الموظفين قريبًا" : `حوالي ${min(s)} دقيقة`),
      nobody: (queue) => `لا يوجد أحد متاح في ${queue} الآن.`,
      hours: (hours) => `ساعات العمل: ${hours}`,
    },
    offline: {
      intro: "اترك لنا رسالة وسنرد عليك بالبريد الإلكتروني.",
      name: "اسمك (اختياري)",
      email: "بريدك الإلكتروني",
      message: "رسالتك",
      send: "إرسال الرسالة",
      sending: "جارٍ الإرسال…",
      sent: (email) => `شكرًا لك! سنرد على ${email}.`,
      transcript: "أرسل لي هذه المحادثة بالبريد",
      instead: "لا أستطيع الانتظار — راسلوني بالبريد",
      transcriptSent: (email) => `المحادثة في طريقها إلى ${email}.`,
      ticketSent: (email) => `سنرد بالبريد الإلكتروني على ${email}.`,
      needEmail: "يرجى إدخال بريدك الإلكتروني.",
      needMessage: "يرجى كتابة رسالة.",
      badInput: "يرجى التحقق من بريدك الإلكتروني ورسالتك.",
      network: "تعذر الاتصال بنا. حاول مرة أخرى.",
    },
    edits: { deleted: "تم حذف الرسالة", edited: "معدّلة", reply: "رد", replyTo: "ردًا على", cancel: "إلغاء الرد", emoji: "رموز تعبيرية" },
    rating: { ask: "كيف كانت المحادثة؟", comment: "تعليق (اختياري)", send: "إرسال التقييم", thanks: "شكرًا على تقييمك!", failed: "تعذر إرسال التقييم.", faces: ["سيئة جدًا", "سيئة", "مقبولة", "جيدة", "ممتازة"] },
  },
};

let english: Catalogue | null = null; // the texts as written, copied on first use (no import-order trap)

export interface Localized {
  language: Language;
  dir: "rtl" | "ltr";
}

/** Switch the chat UI's texts to `language` (English first, so that a switch back works too). */
export function useLanguage(language: Language): Localized {
  const en = (english ??= { view: { ...TEXT }, offline: { ...OFFLINE_TEXT }, edits: { ...EDIT_TEXT }, rating: { ...RATING_TEXT } });
  const chosen = language === "en" ? en : CATALOGUES[language];
  Object.assign(TEXT, en.view, chosen.view);
  Object.assign(OFFLINE_TEXT, en.offline, chosen.offline);
  Object.assign(EDIT_TEXT, en.edits, chosen.edits);
  Object.assign(RATING_TEXT, en.rating, chosen.rating);
  setSystemLanguage(language);
  return { language, dir: isRightToLeft(language) ? "rtl" : "ltr" };
}

/** The site's language, else the page's, else the browser's, else English (`shared/language.ts`). */
export function localize(site: PublicSite): Localized {
  return useLanguage(pageLanguage(site.language));
}
