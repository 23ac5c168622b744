/** The tracking settings form: its editable model, validation, and the server's 422 details by field. */

import type { ProductPattern, SearchPattern, SectionPattern, TrackingSettings } from "../types";

export interface SettingsForm {
  sections: SectionPattern[];
  products: ProductPattern[];
  searches: SearchPattern[];
  /** Days as typed; empty keeps the data forever. */
  retention: string;
}

/** Messages by field path, as the API names them: "sections.0.pattern", "retention_days". */
export type FieldErrors = Readonly<Record<string, string>>;

export function formFromSettings(settings: TrackingSettings): SettingsForm {
  return {
    sections: (settings.sections ?? []).map((s) => ({ name: s.name, pattern: s.pattern })),
    products: (settings.products ?? []).map((p) => ({ pattern: p.pattern })),
    searches: (settings.searches ?? []).map((s) => ({ pattern: s.pattern, param: s.param })),
    retention: settings.retention_days == null ? "" : String(settings.retention_days),
  };
}

export function settingsFromForm(form: SettingsForm): TrackingSettings {
  const retention = form.retention.trim();
  return {
    sections: form.sections.map((s) => ({ name: s.name.trim(), pattern: s.pattern.trim() })),
    products: form.products.map((p) => ({ pattern: p.pattern.trim() })),
    searches: form.searches.map((s) => ({ pattern: s.pattern.trim(), param: s.param.trim() })),
    retention_days: retention === "" ? null : Number(retention),
  };
}

function patternError(pattern: string): string | null {
  const p = pattern.trim();
  if (!p) return "Enter a URL path pattern.";
  if (!p.startsWith("/")) return "A pattern is a URL path: it starts with “/”.";
  return null;
}

/** What can be told before sending; the server checks the rest (422). */
export function validateForm(form: SettingsForm): FieldErrors {
  const errors: Record<string, string> = {};
  const put = (field: string, message: string | null) => {
    if (message) errors[field] = message;
  };
  form.sections.forEach((s, i) => {
    put(`sections.${i}.name`, s.name.trim() ? null : "Name the section.");
    put(`sections.${i}.pattern`, patternError(s.pattern));
  });
  form.products.forEach((p, i) => put(`products.${i}.pattern`, patternError(p.pattern)));
  form.searches.forEach((s, i) => {
    put(`searches.${i}.pattern`, patternError(s.pattern));
    put(`searches.${i}.param`, s.param.trim() ? null : "Name the query parameter (e.g. q).");
  });
  const retention = form.retention.trim();
  if (retention && !(/^\d+$/.test(retention) && Number(retention) >= 1)) {
    put("retention_days", "Enter a whole number of days (1 or more), or leave it empty to keep everything.");
  }
  return errors;
}

/**
 * The `details` of a 422 answer by field. The API lists `[{field, message}]` (pydantic's `loc` is
 * accepted too); a detail without a field, or anything else, is a general message.
 */
export function serverErrors(details: unknown): { fields: FieldErrors; general: string[] } {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  const list = Array.isArray(details) ? details : details == null ? [] : [details];
  for (const item of list) {
    if (typeof item === "string") {
      general.push(item);
      continue;
    }
    if (!item || typeof item !== "object") continue;
    const d = item as { field?: unknown; loc?: unknown; message?: unknown; msg?: unknown };
    const message = String(d.message ?? d.msg ?? "Invalid value.");
    let field = typeof d.field === "string" ? d.field : "";
    if (!field && Array.isArray(d.loc)) field = d.loc.filter((p) => p !== "body").join(".");
    if (field) fields[field] = fields[field] ? `${fields[field]} ${message}` : message;
    else general.push(message);
  }
  return { fields, general };
}

/** Fields the form shows next to an input; the others are listed above the save button. */
export function unplacedErrors(errors: FieldErrors, form: SettingsForm): string[] {
  const placed = new Set<string>(["retention_days"]);
  form.sections.forEach((_, i) => ["", ".name", ".pattern"].forEach((f) => placed.add(`sections.${i}${f}`)));
  form.products.forEach((_, i) => ["", ".pattern"].forEach((f) => placed.add(`products.${i}${f}`)));
  form.searches.forEach((_, i) => ["", ".pattern", ".param"].forEach((f) => placed.add(`searches.${i}${f}`)));
  return Object.entries(errors)
    .filter(([field]) => !placed.has(field))
    .map(([field, message]) => `${field}: ${message}`);
}
