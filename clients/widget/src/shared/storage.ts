/**
 * Safe access to localStorage and cookies: both may throw (privacy modes, sandboxed frames), and the
 * widget must never throw into the host page.
 */

export type KeyValueStorage = Pick<Storage, "getItem" | "setItem" | "removeItem">;

/**
 * The widget's localStorage key of one kind for a site: `vt` the visitor token, `conv` the saved conversation,
 * `pending` the messages not sent yet, `ui` the panel state (one function, not one per kind: the loader needs two
 * of them and carries no other).
 */
export const storageKey = (kind: "vt" | "conv" | "pending" | "ui", siteKey: string): string => `fw:${kind}:${siteKey}`;

/** The page's localStorage, or null where it is unavailable. */
export function localStore(): KeyValueStorage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export function readString(storage: KeyValueStorage | null, key: string): string | null {
  try {
    return storage ? storage.getItem(key) : null;
  } catch {
    return null;
  }
}

export function writeString(storage: KeyValueStorage | null, key: string, value: string | null): void {
  try {
    if (!storage) return;
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
  } catch {
    /* quota or privacy mode: the widget keeps working for this page */
  }
}

export function readJSON<T>(storage: KeyValueStorage | null, key: string): T | null {
  const raw = readString(storage, key);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}

export function writeJSON(storage: KeyValueStorage | null, key: string, value: unknown): void {
  writeString(storage, key, JSON.stringify(value));
}

export function readCookie(name: string): string | null {
  try {
    for (const part of document.cookie.split(";")) {
      const eq = part.indexOf("=");
      if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
    }
  } catch {
    /* cookies disabled */
  }
  return null;
}

export function writeCookie(name: string, value: string, maxAgeSeconds: number): void {
  try {
    const secure = location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${name}=${encodeURIComponent(value)}; Max-Age=${maxAgeSeconds}; Path=/; SameSite=Lax${secure}`;
  } catch {
    /* cookies disabled */
  }
}
