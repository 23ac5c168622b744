/**
 * The console's address: which screen is shown and which conversation is open, in the URL's fragment
 * (`/console/#/history`, `/console/#/live/<conversation id>`), so that an operator can bookmark a screen, share a
 * chat's link with a colleague, and go back and forward. A fragment needs nothing of the server: the gateway serves
 * the console's one page at `/console/` whatever follows `#`.
 */

import { useCallback, useEffect, useRef, useState } from "react";

export const VIEWS = [
  "live",
  "tickets",
  "history",
  "settings",
  "rules",
  "segments",
  "board",
  "departments",
  "canned",
  "materials",
  "sites",
  "operators",
] as const;
export type View = (typeof VIEWS)[number];

export interface Route {
  view: View;
  /** The open conversation (the live screen only). */
  conversationId: string | null;
}

const HOME: Route = { view: "live", conversationId: null };
const ID = /^[0-9A-Za-z_-]{1,64}$/;

/** The route of a fragment; anything unknown is the live screen (an old or mistyped link still opens the console). */
export function parseRoute(hash: string): Route {
  const [name, id, ...rest] = hash.replace(/^#\/?/, "").split("/");
  const view = VIEWS.find((v) => v === name);
  if (!view || rest.length > 0) return HOME;
  const conversationId = view === "live" && id && ID.test(id) ? id : null;
  return { view, conversationId };
}

export function routeHash(route: Route): string {
  return route.view === "live" && route.conversationId ? `#/live/${route.conversationId}` : `#/${route.view}`;
}

function sameRoute(a: Route, b: Route): boolean {
  return a.view === b.view && a.conversationId === b.conversationId;
}

/**
 * The route in the address bar, followed as it changes (back, forward, a pasted link). `go` changes it: a new
 * history entry for another screen, the current one replaced for another conversation (the back button goes back
 * to the previous screen, not through every chat clicked on the way).
 */
export function useRoute(win: Window = window): [Route, (next: Partial<Route>) => void] {
  const [route, setRoute] = useState<Route>(() => parseRoute(win.location.hash));
  const shown = useRef(route);
  shown.current = route;
  useEffect(() => {
    const follow = () => {
      const next = parseRoute(win.location.hash);
      if (!sameRoute(shown.current, next)) setRoute(next);
    };
    win.addEventListener("hashchange", follow);
    return () => win.removeEventListener("hashchange", follow);
  }, [win]);
  const go = useCallback(
    (change: Partial<Route>) => {
      const before = shown.current;
      const next: Route = { ...before, ...change };
      if (next.view !== "live") next.conversationId = null;
      if (sameRoute(before, next)) return;
      const url = `${win.location.pathname}${win.location.search}${routeHash(next)}`;
      if (next.view === before.view) win.history.replaceState(null, "", url);
      else win.history.pushState(null, "", url);
      shown.current = next;
      setRoute(next);
    },
    [win],
  );
  return [route, go];
}
