import { createContext, useContext, useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { trackingSettings } from "../../api/endpoints";
import { keys } from "../../api/keys";
import { type Choice, operatorChoices, queueChoices } from "../../api/rules";
import { listSegments } from "../../api/segments";

/** What the editor offers to pick instead of typing ids: the account's operators and queues, and the site's
 * sections. `null`: not known (not loaded, or refused), the editor takes typed ids then. */
export interface RuleChoices {
  operators: Choice[] | null;
  queues: Choice[] | null;
  sections: string[];
  /** The account's segment names (the `segment` condition takes a name or an id). */
  segments: string[];
}

const ChoicesContext = createContext<RuleChoices>({ operators: null, queues: null, sections: [], segments: [] });
export const ChoicesProvider = ChoicesContext.Provider;

export function useChoices(): RuleChoices {
  return useContext(ChoicesContext);
}

/** The choices of the site's rules, each loaded on its own: one that fails leaves the typed input. */
export function useRuleChoices(api: ApiClient, siteId: string): RuleChoices {
  const operators = useQuery({ queryKey: keys.operatorChoices, queryFn: () => operatorChoices(api) }).data;
  const queues = useQuery({ queryKey: keys.queueChoices, queryFn: () => queueChoices(api) }).data;
  const segments = useQuery({ queryKey: keys.segments, queryFn: () => listSegments(api) }).data;
  const settings = useQuery({
    queryKey: keys.tracking(siteId),
    queryFn: () => trackingSettings(api, siteId),
    enabled: !!siteId,
  }).data;
  return useMemo(
    () => ({
      operators: operators ?? null,
      queues: queues ?? null,
      segments: segments?.map((s) => s.name) ?? [],
      sections: settings?.sections.map((s) => s.name) ?? [],
    }),
    [operators, queues, segments, settings],
  );
}
