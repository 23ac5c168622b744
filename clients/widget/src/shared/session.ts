/** `POST /api/v1/widget/session`: a visitor token for this site, keeping the previous visitor when it can. */
import { loadVisitorToken, saveVisitorToken } from "./identity";
import type { WidgetSession } from "./types";

/** Why there is no session (for the loader's one warning in the host page's console). */
export type Refusal = { status: number; code: string; message: string };

/**
 * Opens (or renews) the visitor session; null when the gateway refuses it or cannot be reached (then
 * `refused` hears why: status 0 when the answer could not be read, as when the origin's preflight is refused).
 */
export async function openSession(baseUrl: string, siteKey: string, refused?: (why: Refusal) => void): Promise<WidgetSession | null> {
  try {
    const previous = loadVisitorToken(siteKey);
    // `lang`: the page's language, for the widget's (EMB-11: the gateway picks it, `site.language`)
    const body: Record<string, string> = { site_key: siteKey };
    const lang = document.documentElement.lang;
    if (previous) body.visitor_token = previous;
    if (lang) body.lang = lang;
    const response = await fetch(`${baseUrl}/api/v1/widget/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const error = ((await response.json().catch(() => null)) || {}).error || {};
      refused?.({ status: response.status, code: String(error.code || "refused"), message: String(error.message || "") });
      return null;
    }
    const session = (await response.json()) as WidgetSession;
    if (!session || typeof session.visitor_token !== "string" || !session.site) return null;
    saveVisitorToken(siteKey, session.visitor_token);
    return session;
  } catch {
    refused?.({ status: 0, code: "unreachable", message: "" });
    return null;
  }
}
