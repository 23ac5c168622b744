/**
 * Exit intent (ENG-3, the rules' `exit_intent` condition): the visitor looks like leaving the page. With a mouse,
 * the pointer leaves the window through its top edge (towards the tabs, the address bar, the close button); on a
 * touch screen, a fast scroll up (towards the browser's address bar) right after scrolling down. The tracker
 * sends it once per page view (`tracking.ts`).
 */

/** A scroll up counts as fast when it covers more than a third of the screen within this time. */
export const FAST_SCROLL_MS = 300;

/** Calls `onExit` on every exit intent (the caller keeps it to one per page view). */
export function watchExitIntent(onExit: () => void): void {
  // no relatedTarget: the pointer left the document, not one element for another; at or above its top edge
  document.addEventListener("mouseout", (event) => {
    if (!event.relatedTarget && event.clientY <= 0) onExit();
  });
  // where the current scroll up started and when: a scroll down moves it along; a scroll up slower than a third
  // of the screen per FAST_SCROLL_MS starts over from where it was the event before (after a pause too)
  let touched = false;
  let last = window.scrollY;
  let top = last;
  let topAt = 0;
  window.addEventListener("touchstart", () => (touched = true), { passive: true });
  // (not `passive`: a scroll cannot be cancelled anyway)
  window.addEventListener("scroll", () => {
    const y = window.scrollY;
    const now = Date.now();
    if (y >= last) {
      top = y;
      topAt = now;
    } else {
      if (now - topAt > FAST_SCROLL_MS) {
        top = last;
        topAt = now;
      }
      if (touched && top - y > window.innerHeight / 3) onExit();
    }
    last = y;
  });
}
