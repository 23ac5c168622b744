/**
 * The console's one QueryClient (server state read over REST: lists, settings). A refusal (4xx) is not tried again,
 * anything else (5xx, the network) once. A screen shown again shows what it read before at once and reads it anew
 * (another operator may have changed it: staleTime 0, requests under way are shared); a window regaining focus
 * refetches nothing (a form being edited is left alone). The socket's live state (conversations, messages,
 * visitors) is not here.
 */

import { QueryClient, type DefaultOptions } from "@tanstack/react-query";
import { ApiError } from "../api/client";

/** Whether a failed query is tried again (`failures` so far, 0 after the first). */
export function shouldRetry(failures: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failures < 1;
}

export function makeQueryClient(overrides: DefaultOptions = {}): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 0, refetchOnWindowFocus: false, ...overrides.queries },
      mutations: { retry: false, ...overrides.mutations },
    },
  });
}
