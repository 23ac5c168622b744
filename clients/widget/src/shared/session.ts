/** `POST /api/v1/widget/session`: a visitor token for this site, keeping the previous visitor when it can. */
import { loadVisitorToken, saveVisitorToken } from "./identity";
import type { WidgetSession } from "./types";

/** Opens (or renews) the visitor session; null when the gateway refuses it or cannot be reached. */
export async function openSession(baseUrl: string, siteKey: string): Promise<WidgetSession | null> {
  try {
    const previous = loadVisitorToken(siteKey);
    const body = previous ? { site_key: siteKey, visitor_token: previous } : { site_key: siteKey };
    const response = await fetch(`${baseUrl}/api/v1/widget/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) return null;
    const session = (await response.json()) as WidgetSession;
    if (!session || typeof session.visitor_token !== "string" || !session.site) return null;
    saveVisitorToken(siteKey, session.visitor_token);
    return session;
  } catch {
    return null;
  }
}
