/** Exit intent (ENG-3): what the rules hear when the visitor looks like leaving, once per page view. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAST_SCROLL_MS } from "../src/loader/exit_intent";
import { FAKE_TIMERS } from "./helpers";
import { forgetListenerRecording, type Gateway, load, newPage, recordListeners } from "./page";

/** The pointer leaves the page: `clientY` 0 or less is through the top edge; `to` is where it went inside the page. */
const pointerOut = (clientY: number, to: Element | null = null) =>
  document.dispatchEvent(new MouseEvent("mouseout", { clientY, relatedTarget: to, bubbles: true }));

/** Scrolls the page to `y` (jsdom does not scroll: the position is set and the event fired). */
const scrollTo = (y: number) => {
  Object.defineProperty(window, "scrollY", { configurable: true, value: y });
  window.dispatchEvent(new Event("scroll"));
};

const exits = (server: Gateway) => server.events().filter((e) => e.type === "exit_intent");
const pageIds = (server: Gateway) => server.events().filter((e) => e.type === "pageview").map((e) => e.page_id);

describe("exit intent", () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS as never);
    recordListeners();
    newPage();
    scrollTo(0);
  });
  afterEach(() => {
    newPage();
    forgetListenerRecording();
    delete (window as { scrollY?: number }).scrollY;
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("is sent at once when the pointer leaves through the top, and only once per page view", async () => {
    const server = await load();
    pointerOut(0);
    await vi.advanceTimersByTimeAsync(0); // not after the batch delay: the rules may still catch the visitor
    expect(exits(server)).toEqual([{ type: "exit_intent", page_id: pageIds(server)[0], at: expect.any(String) }]);
    pointerOut(-5);
    await vi.advanceTimersByTimeAsync(2000);
    expect(exits(server)).toHaveLength(1);
  });

  it("is not sent when the pointer only moves inside the page or leaves through a side", async () => {
    const server = await load();
    pointerOut(0, document.body); // from an element at the top edge to another one
    pointerOut(400); // out through the left, right or bottom edge
    await vi.advanceTimersByTimeAsync(2000);
    expect(server.events().map((e) => e.type)).toEqual(["pageview"]);
  });

  it("is armed again by the next page view (single-page-app navigation)", async () => {
    const server = await load();
    pointerOut(0);
    history.pushState(null, "", "/cart");
    await vi.advanceTimersByTimeAsync(1100);
    pointerOut(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(pageIds(server)).toHaveLength(2);
    expect(exits(server).map((e) => e.page_id)).toEqual(pageIds(server));
  });

  it("on a touch screen: a fast scroll up after scrolling down, not a slow one", async () => {
    const server = await load();
    window.dispatchEvent(new Event("touchstart"));
    const third = window.innerHeight / 3;
    scrollTo(3000); // down the page
    await vi.advanceTimersByTimeAsync(1000);
    // slowly back up by two screens: a little at a time, never a third of the screen within FAST_SCROLL_MS
    for (let y = 3000; y >= 3000 - 6 * third; y -= third / 4) {
      scrollTo(y);
      await vi.advanceTimersByTimeAsync(FAST_SCROLL_MS / 2);
    }
    expect(exits(server)).toHaveLength(0);
    scrollTo(2500);
    await vi.advanceTimersByTimeAsync(500);
    // a flick up: more than a third of the screen in 200 ms
    for (let step = 1; step <= 4; step++) {
      scrollTo(2500 - (step * (third + 20)) / 4);
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(exits(server)).toHaveLength(1);
  });

  it("is not taken from a mouse wheel's fast scroll up (touch screens only)", async () => {
    const server = await load();
    scrollTo(3000);
    scrollTo(1000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(exits(server)).toHaveLength(0);
  });
});
