/**
 * The host page's commands that send something (identify, set, track, event, consent): checked here, in the chat bundle,
 * which the loader loads on the first such call (`loader/commands.ts`). A bad call throws an Error with a short
 * message: the loader turns it into a console.warn.
 */
import { saveVisitorToken } from "../shared/identity";
import type { FloorwalkerGlobal } from "../shared/types";
import { type Runner, warn } from "../loader/commands";
import { cut, httpUrl, type Tracker } from "../loader/tracking";

const MAX_TEXT = 256;
const MAX_ATTRIBUTES = 50;
const MAX_ATTRIBUTE_NAME = 64;
const SITE_EVENT = /^[A-Za-z0-9_.:-]{1,64}$/;

const fail = (message = "bad arguments"): never => {
  throw new Error(message);
};

/** A string (or a number, as a string) cut to `max` characters; undefined when empty or of another type. */
const text = (value: unknown, max = MAX_TEXT) => cut(typeof value === "number" ? String(value) : value, max);

const finite = (value: unknown): number | undefined => (typeof value === "number" && isFinite(value) ? value : undefined);

/** The commands but `open` and `close` (the loader runs those), once the visitor session is open. */
export function commands(state: FloorwalkerGlobal, token: string, tracker: Tracker): Runner {
  const post = (path: string, body: unknown) =>
    fetch(`${state.baseUrl}/api/v1/widget/${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    })
      .then((response) => (response.ok ? response : fail(`refused (${response.status})`)))
      .catch((error: Error) => {
        warn(`${path}: ${error.message}`);
        return false as const;
      });
  let consentCalls = 0;

  return (command, a, b) => {
    const data = (command === "track" ? b : a) as Record<string, unknown>;
    if (command === "consent") {
      if (typeof a !== "boolean") fail();
      const call = ++consentCalls;
      if (!a) tracker.allow(false); // stops at once, whatever the gateway answers
      void post("consent", { granted: a })
        .then((response) => response && response.json())
        .then((saved: { visitor_token?: unknown } | false) => {
          const token = saved && typeof saved.visitor_token === "string" ? saved.visitor_token : undefined;
          if (token) saveVisitorToken(state.siteKey, token); // it carries the consent to the next pages
          if (saved && a && call === consentCalls) tracker.allow(true, token);
        })
        .catch(() => undefined);
    } else if (command === "event") {
      // a site event for the rules ("happened N times within M seconds"): a name of 1-64 [A-Za-z0-9_.:-]
      if (typeof a !== "string" || !SITE_EVENT.test(a)) fail("needs a name of 1-64 letters, digits or _.:-");
      tracker.track({ type: "event", name: a });
    } else if (!/^(identify|set|track)$/.test(command as string)) fail("unknown command");
    else if (!data || typeof data !== "object") fail();
    else if (command === "identify") {
      const body: Record<string, unknown> = { user_id: text(data.user_id) || fail("needs user_id") };
      for (const key of ["email", "name", "phone", "signature"]) body[key] = text(data[key]);
      void post("identify", body);
    } else if (command === "set") {
      const attributes: Record<string, unknown> = {};
      let count = 0;
      for (const [name, value] of Object.entries(data)) {
        const string = typeof value === "string";
        if (name && name.length <= MAX_ATTRIBUTE_NAME && count < MAX_ATTRIBUTES && (string || value === null || value === !!value || finite(value) !== undefined)) {
          attributes[name] = string ? cut(value, MAX_TEXT) || "" : value;
          count++;
        } else warn(`set: ${name} ignored`);
      }
      if (count) tracker.track({ type: "attributes", attributes });
    } else if (command === "track" && a === "search") tracker.track({ type: a, query: text(data.query) || fail("needs query") });
    else if (command === "track" && a === "product") {
      tracker.track({
        type: a,
        sku: text(data.sku, 128),
        name: text(data.name) || fail("needs name"),
        url: httpUrl(data.url),
        price: finite((data.price as number) >= 0 && data.price),
        currency: text(data.currency, 8),
        category: text(data.category, 128),
      });
    } else fail();
  };
}
