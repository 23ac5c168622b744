import { useEffect, useState, useSyncExternalStore } from "react";
import type { TeamController } from "../../app/team";
import type { TeamState } from "../../state/team";

export function useTeamState(team: TeamController): TeamState {
  return useSyncExternalStore(team.store.subscribe, team.store.getState, team.store.getState);
}

/** How often the queue summary is fetched again while a list shows it (frames update it in between). */
export const SUMMARY_POLL_MS = 15_000;

/** Keeps the queue summary fresh while mounted; false once the server said it has none (the list hides). */
export function useQueueSummary(team: TeamController, everyMs = SUMMARY_POLL_MS): boolean {
  const [available, setAvailable] = useState(true);
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      const result = await team.loadSummary();
      if (!live) return;
      setAvailable(result !== "missing");
      if (result !== "missing") timer = setTimeout(() => void poll(), everyMs);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [team, everyMs]);
  return available;
}
