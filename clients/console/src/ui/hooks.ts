import { useEffect, useState, useSyncExternalStore } from "react";
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
