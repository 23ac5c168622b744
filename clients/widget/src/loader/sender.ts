/**
 * Tracking events leave in batches: `POST /api/v1/track/events` with a `text/plain` body
 * `{"visitor_token": ..., "events": [...]}` (a CORS-simple request: no preflight; `navigator.sendBeacon` cannot
 * set headers either, so the token travels in the body, never in the URL), about a second after the first
 * queued event or at once at 20 events.
 * When the page is hidden or goes away, what is queued leaves with `navigator.sendBeacon`.
 * A batch refused for a reason that may pass (network error, 429, 5xx) goes back to the head of the queue
 * and is tried again later with exponential backoff; other refusals (4xx) drop it. The queue is bounded.
 */

export type TrackEvent = { type: string } & Record<string, unknown>;

export const BATCH_DELAY_MS = 1000;
export const BATCH_MAX_EVENTS = 20;
export const MAX_QUEUED_EVENTS = 200;
/** The gateway refuses bodies over 64 KB; batches stay under this (the envelope included). */
export const MAX_BODY_BYTES = 60_000;
export const MAX_BACKOFF_MS = 60_000;

export interface Sender {
  push(event: TrackEvent): void;
  /** Sends the next batch now, unless one is on its way or a retry is not due yet. */
  flush(): void;
  /** The page is hidden or going away: everything queued leaves now (sendBeacon, else fetch keepalive). */
  beacon(): void;
  /** Forgets everything queued (consent withdrawn). */
  clear(): void;
  /** Sends with another visitor token from now on (the one that carries the consent). */
  use(token: string): void;
}

const bytes = (text: string) => new Blob([text]).size;

/** `recorded`: a batch with a page view was accepted (2xx). */
export function createSender(url: string, visitorToken: string, recorded?: () => void): Sender {
  let token = visitorToken;
  let queue: TrackEvent[] = [];
  let sending = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let retryAt = 0;
  let generation = 0; // bumped by clear(): a batch failing after it is not put back

  const schedule = (ms: number) => {
    if (!timer) timer = setTimeout(() => ((timer = undefined), flush()), ms);
  };

  /** The next batch, taken off the queue: at most 20 events, a body under the size limit. */
  const take = (): TrackEvent[] => {
    const batch: TrackEvent[] = [];
    let size = 36 + token.length; // {"visitor_token":"...","events":[]}
    while (queue.length && batch.length < BATCH_MAX_EVENTS) {
      const next = bytes(JSON.stringify(queue[0])) + 1;
      if (size + next > MAX_BODY_BYTES) {
        if (batch.length) break;
        queue.shift(); // one event too big to ever be accepted
        continue;
      }
      size += next;
      batch.push(queue.shift()!);
    }
    return batch;
  };

  const body = (batch: TrackEvent[]) => JSON.stringify({ visitor_token: token, events: batch });

  const post = (body: string) =>
    fetch(url, { method: "POST", keepalive: true, headers: { "Content-Type": "text/plain" }, body });

  /** Sends one batch; a failure that may pass puts it back at the head of the queue and delays the next try. */
  const send = (batch: TrackEvent[], body: Promise<Response>, sent = generation) =>
    body
      .then((response) => {
        if (response.status === 429 || response.status >= 500) throw response;
        failures = 0;
        if (recorded && response.ok && batch.some((event) => event.type === "pageview")) {
          try {
            recorded();
          } catch {
            /* the batch is sent whatever its listener does */
          }
        }
      })
      .catch(() => {
        if (sent !== generation) return;
        queue = batch.concat(queue).slice(-MAX_QUEUED_EVENTS);
        retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, BATCH_DELAY_MS * 2 ** failures++);
      });

  function flush(): void {
    if (sending || !queue.length) return;
    const wait = retryAt - Date.now();
    if (wait > 0) return schedule(wait);
    clearTimeout(timer);
    timer = undefined;
    const batch = take();
    if (!batch.length) return;
    sending = true;
    void send(batch, post(body(batch))).then(() => {
      sending = false;
      flush();
    });
  }

  return {
    push(event) {
      queue.push(event);
      if (queue.length > MAX_QUEUED_EVENTS) queue.shift();
      if (queue.length >= BATCH_MAX_EVENTS) flush();
      else schedule(BATCH_DELAY_MS);
    },
    flush,
    use(next) {
      token = next;
    },
    beacon() {
      // the batch on its way (if any) is a keepalive fetch: it outlives the page, so it is not sent again
      for (let batch = take(); batch.length; batch = take()) {
        const text = body(batch);
        let queued = false;
        try {
          queued = navigator.sendBeacon(url, new Blob([text], { type: "text/plain" }));
        } catch {
          /* no sendBeacon (old browser, test DOM) */
        }
        if (!queued) void send(batch, post(text)).then(flush);
      }
    },
    clear() {
      queue = [];
      generation++;
    },
  };
}
