import { act, renderHook } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { parseRoute, routeHash, useRoute } from "../src/app/route";

const CHAT = "01a2425a-9a5b-78ca-9cd8-517edd1fe883";

describe("the console's address", () => {
  afterEach(() => window.history.replaceState(null, "", "/console/"));

  it("reads a screen and an open chat from the fragment, and anything else as the live screen", () => {
    expect(parseRoute("#/history")).toEqual({ view: "history", conversationId: null });
    expect(parseRoute(`#/live/${CHAT}`)).toEqual({ view: "live", conversationId: CHAT });
    expect(parseRoute("")).toEqual({ view: "live", conversationId: null });
    expect(parseRoute("#/nowhere")).toEqual({ view: "live", conversationId: null });
    expect(parseRoute("#/live/<script>")).toEqual({ view: "live", conversationId: null });
    expect(parseRoute(`#/history/${CHAT}`)).toEqual({ view: "history", conversationId: null });
    expect(parseRoute("#/sites/a/b")).toEqual({ view: "live", conversationId: null });
    expect(routeHash({ view: "live", conversationId: CHAT })).toBe(`#/live/${CHAT}`);
    expect(routeHash({ view: "sites", conversationId: null })).toBe("#/sites");
  });

  it("opens at the bookmarked screen, puts a chat in the address and follows back and forward", () => {
    window.history.replaceState(null, "", "/console/#/tickets");
    const { result } = renderHook(() => useRoute());
    expect(result.current[0].view).toBe("tickets");

    act(() => result.current[1]({ view: "live" }));
    expect(window.location.hash).toBe("#/live");
    const entries = window.history.length;
    act(() => result.current[1]({ conversationId: CHAT }));
    expect(window.location.hash).toBe(`#/live/${CHAT}`);
    expect(window.history.length).toBe(entries); // another chat replaces the entry: back goes to the last screen

    act(() => {
      window.history.replaceState(null, "", "/console/#/history");
      window.dispatchEvent(new HashChangeEvent("hashchange"));
    });
    expect(result.current[0]).toEqual({ view: "history", conversationId: null });
    act(() => result.current[1]({ view: "board", conversationId: CHAT }));
    expect(result.current[0]).toEqual({ view: "board", conversationId: null }); // only the live screen opens a chat
  });
});
