/**
 * The chat service's system messages the visitor sees (transfer notices, `services/chat/transfers.py`) are stored
 * in English; the widget shows the known ones in its language (EMB-11), by their English template. Others stay as
 * written. `i18n.ts` sets the language.
 */
type Template = [RegExp, Record<string, (name: string) => string>];

const TEMPLATES: Template[] = [
  [
    /^You are being connected to another colleague\.$/,
    {
      "pt-BR": () => "Você está sendo transferido para outro colega.",
      ru: () => "Вас соединяют с другим сотрудником.",
      pl: () => "Łączymy Cię z innym konsultantem.",
      ar: () => "جارٍ توصيلك بزميل آخر.",
    },
  ],
  [
    /^You are being connected to (.+)\.$/,
    {
      "pt-BR": (name) => `Você está sendo transferido para ${name}.`,
      ru: (name) => `Вас соединяют с: ${name}.`,
      pl: (name) => `Łączymy Cię z: ${name}.`,
      ar: (name) => `جارٍ توصيلك بـ ${name}.`,
    },
  ],
];

let current = "en";

export function setSystemLanguage(language: string): void {
  current = language;
}

/** A system message's text in the widget's language (as written when unknown, or in English). */
export function systemText(text: string): string {
  for (const [pattern, byLanguage] of TEMPLATES) {
    const found = pattern.exec(text);
    const translate = found && byLanguage[current];
    if (found) return translate ? translate(found[1] ?? "") : text;
  }
  return text;
}
