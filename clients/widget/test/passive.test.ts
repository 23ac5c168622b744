/**
 * Passive mode (ENG-1): the launcher shows only on the pages the session's `button_paths` name (regexes of the
 * path), follows the visitor's navigation (SPA included), and stays while a conversation is on; without
 * `button_paths` it shows everywhere.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { NAVIGATION_DELAY_MS } from "../src/loader/tracking";
import { FAKE_TIMERS } from "./helpers";
import { forgetListenerRecording, gateway, load, newPage, recordListeners } from "./page";

const launcher = () => document.getElementById("floorwalker-widget")!.shadowRoot!.querySelector<HTMLButtonElement>('[data-fw="launcher"]')!;
const IT = ["^\\/demo\\/informatica\\/.*\\/?$", "^\\/ofertas"];

async function go(path: string, how: "push" | "replace" | "back" = "push"): Promise<void> {
  if (how === "push") history.pushState(null, "", path);
  else if (how === "replace") history.replaceState(null, "", path);
  else {
    history.replaceState(null, "", path);
    window.dispatchEvent(new PopStateEvent("popstate"));
  }
  await vi.advanceTimersByTimeAsync(NAVIGATION_DELAY_MS + 1);
}

describe("passive mode", () => {
  beforeEach(() => {
    vi.useFakeTimers(FAKE_TIMERS as never);
    recordListeners();
    newPage();
    localStorage.clear();
  });
  afterEach(() => {
    newPage();
    forgetListenerRecording();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("shows the launcher only on the chosen pages, and follows the visitor's navigation", async () => {
    history.replaceState(null, "", "https://shop.example/demo/tv/oled-55");
    await load(gateway({ buttonPaths: IT }));
    expect(launcher().hidden).toBe(true);
    await go("/demo/informatica/laptop-pro-14");
    expect(launcher().hidden).toBe(false);
    await go("/demo/casa/", "replace");
    expect(launcher().hidden).toBe(true);
    await go("/ofertas/black-friday", "back");
    expect(launcher().hidden).toBe(false);
  });

  it("shows it on a chosen page at once", async () => {
    history.replaceState(null, "", "https://shop.example/demo/informatica/x?ref=ad");
    await load(gateway({ buttonPaths: IT }));
    expect(launcher().hidden).toBe(false);
  });

  it.each([[undefined], [null]])("shows it everywhere without button_paths (%s)", async (paths) => {
    await load(gateway(paths === undefined ? {} : { buttonPaths: paths }));
    expect(launcher().hidden).toBe(false);
    await go("/anywhere/at/all");
    expect(launcher().hidden).toBe(false);
  });

  it("shows it nowhere with an empty list, but keeps it while a conversation is on", async () => {
    await load(gateway({ buttonPaths: [] }));
    expect(launcher().hidden).toBe(true);
    newPage();
    localStorage.setItem("fw:conv:site-1", JSON.stringify({ id: "c1", open: true }));
    await load(gateway({ buttonPaths: [] }));
    expect(launcher().hidden).toBe(false);
    await go("/elsewhere");
    expect(launcher().hidden).toBe(false);
  });
});
