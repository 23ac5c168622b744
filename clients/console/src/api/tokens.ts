/** The operator's session (tokens + user), kept in localStorage so a reload stays logged in. */

import type { AccountRef, TokenResponse, User } from "../types";

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds at which the access token expires. */
  expiresAt: number;
  user: User;
  accounts: AccountRef[];
}

export const STORAGE_KEY = "floorwalker.console.session";

export function sessionFromResponse(body: TokenResponse, now: number): Session {
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: now + body.expires_in * 1000,
    user: body.user,
    accounts: body.accounts ?? [],
  };
}

export interface SessionStore {
  load(): Session | null;
  save(session: Session | null): void;
}

/** A store over a Web Storage object; a missing or unusable storage keeps the session in memory only. */
export function storageSessionStore(storage: Storage | null | undefined, key = STORAGE_KEY): SessionStore {
  let memory: Session | null = null;
  return {
    load() {
      try {
        const raw = storage?.getItem(key);
        if (!raw) return memory;
        const parsed = JSON.parse(raw) as Session;
        return parsed && typeof parsed.accessToken === "string" && typeof parsed.refreshToken === "string"
          ? parsed
          : null;
      } catch {
        return memory;
      }
    },
    save(session) {
      memory = session;
      try {
        if (session) storage?.setItem(key, JSON.stringify(session));
        else storage?.removeItem(key);
      } catch {
        // Private mode or quota: the in-memory copy still works for this tab.
      }
    },
  };
}

export function defaultStorage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null;
  }
}
