import { useEffect, useState, useSyncExternalStore } from "react";
import type { ApiClient } from "../api/client";
import { listSites } from "../api/endpoints";
import type { ConsoleState, Store } from "../state/store";
import type { Site } from "../types";

export function useConsoleState(store: Store): ConsoleState {
  return useSyncExternalStore(store.subscribe, store.getState, store.getState);
}

/** The current time, updated every `everyMs`, so waiting times and times on page tick. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** The account's sites (null until loaded) and the one chosen on a screen (the first, until the operator picks
 * another). `onError` gets "Could not load the sites: <why>" (a state setter: its identity never changes). */
export function useSites(api: ApiClient, onError: (message: string) => void, why: (error: unknown) => string) {
  const [sites, setSites] = useState<Site[] | null>(null);
  const [siteId, setSiteId] = useState("");
  useEffect(() => {
    let current = true;
    listSites(api).then(
      (list) => {
        if (!current) return;
        setSites(list);
        setSiteId((id) => id || list[0]?.id || "");
      },
      (failure: unknown) => current && onError(`Could not load the sites: ${why(failure)}`),
    );
    return () => {
      current = false;
    };
  }, [api, onError, why]);
  return { sites, siteId, setSiteId };
}
