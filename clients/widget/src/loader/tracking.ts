/** Page views: one after the session starts, and one per single-page-app navigation. */

/** Lets an SPA router set the new document title before the page view is sent. */
export const NAVIGATION_DELAY_MS = 50;

/** Returns a function that sends a page view for the current URL (once per distinct URL in a row). */
export function pageviewSender(baseUrl: string, token: string): () => void {
  let last = "";
  return () => {
    const url = location.href;
    if (url === last) return;
    last = url;
    const event = { type: "pageview", url, title: document.title, referrer: document.referrer };
    fetch(`${baseUrl}/api/v1/track/events`, {
      method: "POST",
      keepalive: true,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ events: [event] }),
    }).catch(() => undefined);
  };
}

/** Calls `onNavigate` after history.pushState / replaceState and on popstate. */
export function watchNavigation(onNavigate: () => void): void {
  const later = () => {
    setTimeout(() => {
      try {
        onNavigate();
      } catch {
        /* never break the host's router */
      }
    }, NAVIGATION_DELAY_MS);
  };
  for (const name of ["pushState", "replaceState"] as const) {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History["pushState"]>) {
      const result = original.apply(this, args);
      later();
      return result;
    };
  }
  window.addEventListener("popstate", later);
}
