import { useEffect, useRef, useState } from "react";
import type { ApiClient } from "../../api/client";
import { visitorDetail } from "../../api/endpoints";
import type { LiveVisitor, VisitorDetail } from "../../types";

export interface DetailState {
  detail: VisitorDetail | null;
  error: string | null;
  loading: boolean;
}

/** After a `visitor.updated` frame, wait this long for more before fetching the detail again. */
export const DETAIL_REFRESH_MS = 1000;

/**
 * The detail of one visitor, fetched when the panel opens and again (debounced) whenever the live
 * record of that visitor changes. A slower, older answer never replaces a newer one.
 */
export function useVisitorDetail(
  api: ApiClient,
  visitorId: string,
  live: LiveVisitor | undefined,
  delayMs = DETAIL_REFRESH_MS,
): DetailState {
  const [state, setState] = useState<DetailState>({ detail: null, error: null, loading: true });
  const [generation, setGeneration] = useState(0);
  const seen = useRef(live);

  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    visitorDetail(api, visitorId).then(
      (detail) => current && setState({ detail, error: null, loading: false }),
      (error: unknown) =>
        current &&
        setState((s) => ({
          ...s,
          loading: false,
          error: error instanceof Error ? error.message : "Could not load the visitor.",
        })),
    );
    return () => {
      current = false;
    };
  }, [api, visitorId, generation]);

  useEffect(() => {
    if (live === seen.current) return;
    seen.current = live;
    if (!live) return; // left the site: what we have is still right
    const timer = setTimeout(() => setGeneration((n) => n + 1), delayMs);
    return () => clearTimeout(timer);
  }, [live, delayMs]);

  return state;
}
