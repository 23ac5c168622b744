/**
 * Attachments (CHAT-10) in the chat panel: the paper-clip button (and a file dropped on the panel), an image shown
 * as a thumbnail that opens large in the panel, a PDF as a link with its name and size that downloads it. Files
 * are fetched with the visitor's token in the `Authorization` header (never in a URL): an `<img>` gets an object
 * URL of the fetched blob (the host page's CSP needs `img-src blob:`, docs/security.md). What a file is, and
 * whether it is too large, is the server's word: its refusal (413, 415, 422) is shown in the visitor's words.
 * Names are text (`textContent`), never markup.
 */
import type { Catalogues, Language } from "../shared/language";
import type { Attachment, Message } from "../shared/types";
import { el as node } from "./dom";

export const ATTACH_TEXT = {
  attach: "Attach an image or a PDF",
  sending: "Sending",
  tooLarge: "This file is too large to send.",
  wrongType: "Only images (PNG, JPEG, GIF, WebP) and PDF files can be sent.",
  empty: "This file is empty.",
  closed: "The conversation is closed.",
  failed: "The file could not be sent. Please try again.",
  close: "Close",
  download: "Download",
  startFirst: "Write a message first, then attach files.",
};

const ENGLISH = { ...ATTACH_TEXT };

/** EMB-11: these texts in the widget's other languages (`i18n.ts` picks the language; a missing text stays English). */
export const ATTACH_CATALOGUES: Catalogues<typeof ATTACH_TEXT> = {
  "pt-BR": {
    attach: "Anexar uma imagem ou um PDF",
    sending: "Enviando",
    tooLarge: "Este arquivo é grande demais para enviar.",
    wrongType: "Só é possível enviar imagens (PNG, JPEG, GIF, WebP) e arquivos PDF.",
    empty: "Este arquivo está vazio.",
    closed: "A conversa foi encerrada.",
    failed: "Não foi possível enviar o arquivo. Tente de novo.",
    close: "Fechar",
    download: "Baixar",
    startFirst: "Escreva uma mensagem primeiro e depois anexe arquivos.",
  },
  ru: {
    attach: "Прикрепить изображение или PDF",
    sending: "Отправка",
    tooLarge: "Этот файл слишком большой.",
    wrongType: "Можно отправлять только изображения (PNG, JPEG, GIF, WebP) и файлы PDF.",
    empty: "Этот файл пуст.",
    closed: "Разговор завершён.",
    failed: "Не удалось отправить файл. Попробуйте ещё раз.",
    close: "Закрыть",
    download: "Скачать",
    startFirst: "Сначала напишите сообщение, затем прикрепите файлы.",
  },
  pl: {
    attach: "Dołącz obraz lub PDF",
    sending: "Wysyłanie",
    tooLarge: "Ten plik jest za duży.",
    wrongType: "Można wysyłać tylko obrazy (PNG, JPEG, GIF, WebP) i pliki PDF.",
    empty: "Ten plik jest pusty.",
    closed: "Rozmowa została zakończona.",
    failed: "Nie udało się wysłać pliku. Spróbuj ponownie.",
    close: "Zamknij",
    download: "Pobierz",
    startFirst: "Najpierw napisz wiadomość, potem dołącz pliki.",
  },
  ar: {
    attach: "إرفاق صورة أو ملف PDF",
    sending: "جارٍ إرسال",
    tooLarge: "هذا الملف كبير جدًا.",
    wrongType: "يمكن إرسال الصور (PNG وJPEG وGIF وWebP) وملفات PDF فقط.",
    empty: "هذا الملف فارغ.",
    closed: "انتهت المحادثة.",
    failed: "تعذر إرسال الملف. حاول مرة أخرى.",
    close: "إغلاق",
    download: "تنزيل",
    startFirst: "اكتب رسالة أولًا، ثم أرفق الملفات.",
  },
};

/** Switches these texts to `language` (English first, so that a switch back works too). */
export function localizeAttachments(language: Language): void {
  Object.assign(ATTACH_TEXT, ENGLISH, language === "en" ? {} : ATTACH_CATALOGUES[language]);
}

/** What the file picker offers (the server checks the content anyway). */
export const ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf";

/** 900 B, 12 KB, 1.4 MB. */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${Math.round(bytes / 1000)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** The visitor's words for the server's refusal of an upload (its error code; "" for no answer). */
export function uploadError(code: string): string {
  if (code === "attachment_too_large") return ATTACH_TEXT.tooLarge;
  if (code === "unsupported_type") return ATTACH_TEXT.wrongType;
  if (code === "empty_file") return ATTACH_TEXT.empty;
  if (code === "conversation_closed") return ATTACH_TEXT.closed;
  return ATTACH_TEXT.failed;
}

export const isImage = (a: Attachment): boolean => a.content_type.startsWith("image/");

/** Fetches a file of a conversation as a blob (with the visitor's token). */
export type FileLoader = (conversationId: string, attachmentId: string) => Promise<Blob>;

/** Object URLs of fetched files, one per attachment (a message rebuilt reuses it), all revoked at the end. */
export class AttachmentUrls {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(private readonly load: FileLoader) {}

  url(conversationId: string, attachmentId: string): Promise<string> {
    let url = this.urls.get(attachmentId);
    if (!url) {
      url = this.load(conversationId, attachmentId).then((blob) => URL.createObjectURL(blob));
      url.catch(() => this.urls.delete(attachmentId)); // a failed fetch is tried again next time
      this.urls.set(attachmentId, url);
    }
    return url;
  }

  destroy(): void {
    for (const url of this.urls.values()) url.then(URL.revokeObjectURL, () => undefined);
    this.urls.clear();
  }
}

/** Saves the file under its name (a temporary link with `download`). */
function download(url: string, name: string): void {
  const link = node("a", { href: url, download: name });
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}

/** The large view of an image, over the message list: the image, its name, Download and Close (Escape too). */
export interface Viewer {
  element: HTMLElement;
  show(url: string, name: string): void;
  hide(): void;
}

export function createViewer(): Viewer {
  const element = node("div", { class: "fw-viewer", "data-fw": "attachment-viewer", role: "dialog", "aria-modal": "true" });
  const bar = node("div", { class: "fw-viewer-bar" });
  const name = node("span", { "data-fw": "viewer-name" });
  const save = node("button", { type: "button", "data-fw": "viewer-download" }, ATTACH_TEXT.download);
  const close = node("button", { type: "button", "data-fw": "viewer-close" }, ATTACH_TEXT.close);
  bar.append(name, save, close);
  element.append(bar);
  element.hidden = true;
  let shown: HTMLImageElement | null = null; // only while open: no image element in the panel otherwise
  const hide = () => {
    element.hidden = true;
    shown?.remove();
    shown = null;
  };
  close.addEventListener("click", hide);
  save.addEventListener("click", () => shown && download(shown.src, name.textContent || ""));
  element.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    event.stopPropagation(); // Escape closes the image, not the panel
    hide();
  });
  return {
    element,
    hide,
    show(url, text) {
      shown?.remove();
      shown = node("img", { "data-fw": "viewer-image", alt: text, src: url });
      element.prepend(shown);
      name.textContent = text;
      element.hidden = false;
      close.focus();
    },
  };
}

/** What a message carrying a file shows instead of its text: a thumbnail (images) or a link (PDF). */
export function attachmentElement(message: Message, urls: AttachmentUrls, viewer: Viewer): HTMLElement | null {
  const file = message.attachment;
  if (!file || message.retracted_at) return null;
  const fetchUrl = () => urls.url(message.conversation_id, file.id);
  if (isImage(file)) {
    const button = node("button", { type: "button", class: "fw-thumb", "data-fw": "attachment-image", title: file.name });
    const image = node("img", { alt: file.name, "data-fw": "attachment-thumb" });
    button.append(image);
    fetchUrl().then(
      (url) => (image.src = url),
      () => button.setAttribute("data-error", "true"),
    );
    button.addEventListener("click", () => void fetchUrl().then((url) => viewer.show(url, file.name), () => undefined));
    return button;
  }
  const link = node("a", { href: "#", class: "fw-file", "data-fw": "attachment-file", "data-name": file.name });
  link.append(node("span", { class: "fw-file-name" }, file.name), node("span", { class: "fw-file-size" }, formatSize(file.size)));
  link.addEventListener("click", (event) => {
    event.preventDefault();
    void fetchUrl().then((url) => download(url, file.name), () => link.setAttribute("data-error", "true"));
  });
  return link;
}

/** The paper-clip button and its hidden file input; `pick` gets the chosen file. */
export function attachButton(pick: (file: File) => void): { button: HTMLButtonElement; input: HTMLInputElement } {
  const input = node("input", { type: "file", accept: ACCEPT, "data-fw": "attach-input", hidden: "" });
  const button = node("button", { type: "button", class: "fw-attach", "data-fw": "attach", "aria-label": ATTACH_TEXT.attach, title: ATTACH_TEXT.attach }, "📎");
  button.addEventListener("click", () => input.click());
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    input.value = "";
    if (file) pick(file);
  });
  return { button, input };
}

/** A file dropped anywhere on `panel` is sent like a picked one. */
export function acceptDrops(panel: HTMLElement, pick: (file: File) => void, enabled: () => boolean): void {
  panel.addEventListener("dragover", (event) => {
    if (!enabled() || !event.dataTransfer?.types.includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  panel.addEventListener("drop", (event) => {
    const file = event.dataTransfer?.files?.[0];
    if (!enabled() || !file) return;
    event.preventDefault();
    pick(file);
  });
}

export const ATTACH_CSS =
  ".fw-panel{position:relative}" +
  ".fw-attach{all:unset;cursor:pointer;padding:0 6px;font-size:18px;line-height:40px}.fw-attach:focus-visible{outline:2px solid #93c5fd}" +
  ".fw-attach[aria-disabled=true]{opacity:.5;cursor:progress}" +
  ".fw-thumb{all:unset;cursor:zoom-in;display:block;border-radius:10px;overflow:hidden;background:#f3f4f6;min-width:60px;min-height:40px}" +
  ".fw-thumb img{display:block;max-width:220px;max-height:180px}.fw-thumb:focus-visible{outline:2px solid #93c5fd}" +
  ".fw-file{display:flex;gap:8px;align-items:baseline;padding:8px 12px;border-radius:12px;background:#f3f4f6;color:#1d4ed8;text-decoration:none}" +
  ".fw-file::before{content:'📄'}.fw-file-name{text-decoration:underline;overflow-wrap:anywhere}.fw-file-size{font-size:11px;color:#6b7280}" +
  ".fw-msg[data-state=pending] .fw-file{opacity:.7}" +
  ".fw-viewer{position:absolute;inset:0;background:rgba(17,24,39,.92);display:flex;flex-direction:column;z-index:5}" +
  ".fw-viewer img{flex:1;min-height:0;object-fit:contain;width:100%}" +
  ".fw-viewer-bar{display:flex;gap:8px;align-items:center;padding:10px;color:#fff}.fw-viewer-bar span{flex:1;min-width:0;overflow-wrap:anywhere}" +
  ".fw-viewer button{all:unset;cursor:pointer;padding:6px 10px;border-radius:8px;background:rgba(255,255,255,.2);color:#fff}";
