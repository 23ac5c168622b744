/**
 * The administration screens' logic without React: a first check of an origin or domain before it is sent
 * (the gateway checks again and has the last word), the text of an API error for a person, and copying
 * to the clipboard with a fallback for browsers without `navigator.clipboard`.
 */

import { ApiError } from "../api/client";

/** Why `input` is not an origin (`scheme://host[:port]`), or null; mirrors the gateway's check. */
export function originProblem(input: string): string | null {
  const text = input.trim();
  if (!text) return "Enter an origin, like https://shop.example.";
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return `Write it with its scheme: https://${text.replace(/^\/+/, "")}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${text} is not an origin: write it as https://shop.example.`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "An origin starts with https:// or http://.";
  if (url.username || url.password) return "An origin has no user name or password.";
  if (url.pathname !== "/" || url.search || url.hash || /[?#]/.test(text))
    return `An origin has no path: ${url.origin} allows every page of the site.`;
  return null;
}

/** Why `input` is not a domain (a host name or IP address), or null. */
export function domainProblem(input: string): string | null {
  const text = input.trim();
  if (!text) return "Enter a domain, like shop.example.";
  if (text.includes("://") || text.includes("/")) return "Give the host name alone, like shop.example.";
  if (/\s/.test(text)) return "A domain has no spaces.";
  return null;
}

/** The gateway's pydantic messages start with "Value error, ": what follows is the reason. */
function reason(message: string): string {
  return message.replace(/^Value error, /, "");
}

/** What went wrong, for a person: a 422's field messages, else the server's message. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 422 && Array.isArray(error.details) && error.details.length > 0) {
      return error.details
        .map((d: { message?: unknown }) => (typeof d?.message === "string" ? reason(d.message) : ""))
        .filter(Boolean)
        .join(" ");
    }
    if (error.status === 403) return "Only an admin can change this.";
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}

export interface CopyEnv {
  clipboard?: Pick<Clipboard, "writeText"> | null;
  doc?: Document;
}

/**
 * Copy `text`: with the asynchronous clipboard when there is one (secure pages), else by selecting it in a
 * hidden text area and `execCommand("copy")`. "failed": the person copies it by hand (the UI says so).
 */
export async function copyText(text: string, env: CopyEnv = {}): Promise<"clipboard" | "fallback" | "failed"> {
  const clipboard =
    env.clipboard !== undefined ? env.clipboard : typeof navigator !== "undefined" ? navigator.clipboard : null;
  if (clipboard) {
    try {
      await clipboard.writeText(text);
      return "clipboard";
    } catch {
      /* refused (permissions, no focus): try the old way */
    }
  }
  const doc = env.doc ?? (typeof document !== "undefined" ? document : undefined);
  if (!doc?.body) return "failed";
  const area = doc.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  doc.body.appendChild(area);
  try {
    area.focus();
    area.select();
    return typeof doc.execCommand === "function" && doc.execCommand("copy") ? "fallback" : "failed";
  } catch {
    return "failed";
  } finally {
    area.remove();
  }
}
