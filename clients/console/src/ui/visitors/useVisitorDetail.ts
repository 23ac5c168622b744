import { useEffect, useRef } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { ApiClient } from "../../api/client";
import { visitorDetail } from "../../api/endpoints";
import { keys } from "../../api/keys";
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
 * record of that visitor changes. A slower, older answer never replaces a newer one (a refetch cancels it).
 */
export function useVisitorDetail(
  api: ApiClient,
  visitorId: string,
  live: LiveVisitor | undefined,
  delayMs = DETAIL_REFRESH_MS,
): DetailState {
  const cache = useQueryClient();
  const { data, error, isFetching } = useQuery({
    queryKey: keys.visitor(visitorId),
    queryFn: () => visitorDetail(api, visitorId),
  });
  const seen = useRef(live);

  useEffect(() => {
    if (live === seen.current) return;
    seen.current = live;
    if (!live) return; // left the site: what we have is still right
    const timer = setTimeout(() => void cache.invalidateQueries({ queryKey: keys.visitor(visitorId) }), delayMs);
    return () => clearTimeout(timer);
  }, [cache, visitorId, live, delayMs]);

  const why = error instanceof Error ? error.message : "Could not load the visitor.";
  return { detail: data ?? null, error: error ? why : null, loading: isFetching };
}
