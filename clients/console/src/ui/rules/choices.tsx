import { createContext, useContext, useEffect, useState } from "react";
import type { ApiClient } from "../../api/client";
import { trackingSettings } from "../../api/endpoints";
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

const NONE: RuleChoices = { operators: null, queues: null, sections: [], segments: [] };
const ChoicesContext = createContext<RuleChoices>(NONE);
export const ChoicesProvider = ChoicesContext.Provider;

export function useChoices(): RuleChoices {
  return useContext(ChoicesContext);
}

/** The choices of the site's rules, each loaded on its own: one that fails leaves the typed input. */
export function useRuleChoices(api: ApiClient, siteId: string): RuleChoices {
  const [choices, setChoices] = useState<RuleChoices>(NONE);
  useEffect(() => {
    let current = true;
    const set = (part: Partial<RuleChoices>) => current && setChoices((c) => ({ ...c, ...part }));
    operatorChoices(api).then(
      (operators) => set({ operators }),
      () => set({ operators: null }),
    );
    queueChoices(api).then(
      (queues) => set({ queues }),
      () => set({ queues: null }),
    );
    listSegments(api).then(
      (segments) => set({ segments: segments.map((s) => s.name) }),
      () => set({ segments: [] }),
    );
    if (siteId)
      trackingSettings(api, siteId).then(
        (settings) => set({ sections: settings.sections.map((s) => s.name) }),
        () => set({ sections: [] }),
      );
    return () => {
      current = false;
    };
  }, [api, siteId]);
  return choices;
}
