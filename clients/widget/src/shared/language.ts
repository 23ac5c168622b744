/**
 * The widget's language (EMB-11): the site's setting when it names one, else the page's `<html lang>`, else the
 * browser's languages, else English. Arabic is laid out right to left. The gateway makes the same choice for the
 * session (`site.language`, from the setting, the `lang` the loader sends and Accept-Language: the loader uses it
 * as it is, with the launcher's title in it); the chat bundle checks it again here (`chat/i18n.ts`).
 */
export type Language = "en" | "pt-BR" | "ru" | "pl" | "ar";
/** The languages but English (English is written in the code, where each text is used). */
export type OtherLanguage = Exclude<Language, "en">;
/** A chat module's texts (`Texts`: its English object) in the other languages; a text missing stays English. */
export type Catalogues<Texts> = Record<OtherLanguage, Partial<Texts>>;

const PRIMARY = ["en", "pt", "ru", "pl", "ar"];

/** The first of `tags` (BCP 47) the widget speaks ("pt", "pt-PT", "pt-BR": Brazilian Portuguese); else English. */
export function chooseLanguage(...tags: (string | null | undefined)[]): Language {
  for (const tag of tags) {
    const primary = (tag || "").split(/[-_]/)[0].toLowerCase();
    if (PRIMARY.includes(primary)) return (primary === "pt" ? "pt-BR" : primary) as Language;
  }
  return "en";
}

/** In this page: the site's setting ("auto": none), `<html lang>`, `navigator.languages`. */
export const pageLanguage = (setting?: string): Language =>
  chooseLanguage(setting, document.documentElement.lang, ...(navigator.languages || [navigator.language]));

export const isRightToLeft = (language: Language): boolean => language === "ar";
