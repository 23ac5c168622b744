import { useEffect, useState, useSyncExternalStore } from "react";
import { useQuery } from "@tanstack/react-query";
import type { ApiClient } from "../api/client";
import { listSites } from "../api/endpoints";
import { keys } from "../api/keys";
import { errorText } from "../lib/admin";
import type { ConsoleState, Store } from "../state/store";

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

/** "Could not load <what>: <why>" of a query's error, or null. */
export function loadError(what: string, error: unknown, why: (error: unknown) => string = errorText): string | null {
  return error ? `Could not load ${what}: ${why(error)}` : null;
}

/** The account's sites (null until loaded), the one chosen on a screen (the first, until the operator picks
 * another), and "Could not load the sites: <why>" if they cannot be read. */
export function useSites(api: ApiClient, why: (error: unknown) => string) {
  const { data, error } = useQuery({ queryKey: keys.sites, queryFn: () => listSites(api) });
  const [chosen, setSiteId] = useState("");
  const siteId = chosen || data?.[0]?.id || "";
  return { sites: data ?? null, siteId, setSiteId, sitesError: loadError("the sites", error, why) };
}
