/**
 * The host page's API, `Floorwalker(command, ...args)` (EMB-12). A page may call it before the loader has
 * run through the stub
 *   window.Floorwalker=window.Floorwalker||function(){(Floorwalker.q=Floorwalker.q||[]).push(arguments)}
 * The loader replays `Floorwalker.q`, then puts the real function in its place. Calls made before the
 * visitor session is open wait for it. A bad call is ignored with a console.warn: never thrown into the page.
 * `open` and `close` run here; the others (identify, set, track, consent: `chat/commands.ts`) are checked and sent by
 * the chat bundle, loaded on the first of them: a page that never calls them never loads it for them.
 */
import type { FloorwalkerChatApi, FloorwalkerGlobal } from "../shared/types";
import type { Tracker } from "./tracking";

/** Runs one command; throws (an Error with a short message) on bad arguments. */
export type Runner = (...args: unknown[]) => void;

/** Calls kept while the session opens. */
const MAX_WAITING = 100;

export function warn(message: string): void {
  console.warn(`Floorwalker: ${message}`);
}

/**
 * Replaces `window.Floorwalker` (taking over the stub's queue) and returns `ready(runner)`: the calls made
 * until then run in order once it is called; `ready(null)` (no session) makes every call a silent no-op.
 */
export function installCommands(): (runner: Runner | null) => void {
  const stub = window.Floorwalker;
  let waiting: unknown[][] = [];
  try {
    if (stub && stub.q) waiting = Array.from(stub.q, (args) => Array.from(args));
  } catch {
    /* a foreign `Floorwalker` */
  }
  let runner: Runner | null | undefined;
  const call = (args: unknown[]) => {
    try {
      if (runner) runner(...args);
    } catch (error) {
      warn(`${String(args[0])}: ${(error as Error).message}`);
    }
  };
  window.Floorwalker = (...args: unknown[]) => {
    if (runner !== undefined) call(args);
    else if (waiting.length < MAX_WAITING) waiting.push(args);
  };
  return (ready) => {
    runner = ready;
    waiting.splice(0).forEach(call);
  };
}

/**
 * The commands once the visitor session is open: `open` and `close` at once, the others in order once the chat
 * bundle is loaded (`load`). Withdrawing the consent stops the tracking at once, before the bundle is there.
 */
export function commands(
  state: FloorwalkerGlobal,
  token: string,
  tracker: Tracker,
  load: () => Promise<FloorwalkerChatApi>,
): Runner {
  let runner: Runner | undefined;
  let pending = 0;
  let queue: Promise<unknown> = Promise.resolve();
  return (...args) => {
    const [command, granted] = args;
    if (command === "open") return state.open();
    if (command === "close") return state.close();
    if (command === "consent" && granted === false) tracker.allow(false);
    if (runner && !pending) return runner(...args);
    pending++;
    queue = queue
      .then(async () => (runner = runner || (await load()).commands!(state, token, tracker)))
      .then((run) => run(...args))
      .catch((error: Error) => warn(`${String(command)}: ${error.message}`))
      .then(() => pending--);
  };
}
