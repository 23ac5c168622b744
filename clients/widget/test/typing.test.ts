import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DRAFT_EVERY_MS, MAX_DRAFT, SHOWN_FOR_MS, showMarks, TYPING_EVERY_MS, TypingIndicator, TypingSender } from "../src/chat/typing";

describe("typing signals", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends the draft at most 5 times a second, the last one always, and says when it stopped", () => {
    const sent: Array<[boolean, string | undefined]> = [];
    const sender = new TypingSender((typing, draft) => (sent.push([typing, draft]), true), true);
    for (const text of ["H", "He", "Hel", "Hell", "Hello"]) {
      sender.input(text);
      vi.advanceTimersByTime(30);
    }
    expect(sent).toEqual([[true, "H"]]);
    vi.advanceTimersByTime(DRAFT_EVERY_MS);
    expect(sent).toEqual([
      [true, "H"],
      [true, "Hello"],
    ]);
    sender.input("x".repeat(MAX_DRAFT + 100));
    vi.advanceTimersByTime(DRAFT_EVERY_MS);
    expect(sent[2][1]).toHaveLength(MAX_DRAFT);
    sender.input("   ");
    expect(sent.at(-1)).toEqual([false, undefined]);
    sender.input("");
    expect(sent).toHaveLength(4); // told once
  });

  it("without sneak-peek sends no text, only that the visitor types, every 2 s at most", () => {
    const sent: Array<[boolean, string | undefined]> = [];
    const sender = new TypingSender((typing, draft) => (sent.push([typing, draft]), true), false);
    sender.input("my secret");
    sender.input("my secret address");
    vi.advanceTimersByTime(TYPING_EVERY_MS - 1);
    sender.input("my secret address is");
    expect(sent).toEqual([[true, undefined]]);
    vi.advanceTimersByTime(1);
    sender.input("my secret address is 5");
    expect(sent).toEqual([
      [true, undefined],
      [true, undefined],
    ]);
  });

  it("after a message is sent the next keystroke is told at once", () => {
    const sent: string[] = [];
    const sender = new TypingSender((_, draft) => (sent.push(draft ?? ""), true), true);
    sender.input("Hi");
    sender.sent();
    vi.advanceTimersByTime(DRAFT_EVERY_MS * 2);
    expect(sent).toEqual(["Hi"]); // nothing trailing after the message
    sender.input("A");
    expect(sent).toEqual(["Hi", "A"]);
  });

  it("shows the other side typing until the signal expires, stops, or is cleared", () => {
    const changes = vi.fn();
    const indicator = new TypingIndicator(changes);
    indicator.seen({ typing: true, name: "Olga" });
    expect(indicator.current?.name).toBe("Olga");
    vi.advanceTimersByTime(SHOWN_FOR_MS - 100);
    indicator.seen({ typing: true, name: "Olga" }); // a new signal extends it
    vi.advanceTimersByTime(SHOWN_FOR_MS - 100);
    expect(indicator.current).not.toBeNull();
    vi.advanceTimersByTime(100);
    expect(indicator.current).toBeNull();
    indicator.seen({ typing: true });
    indicator.seen({ typing: false });
    expect(indicator.current).toBeNull();
    indicator.seen({ typing: true });
    indicator.clear(); // their message arrived
    expect(indicator.current).toBeNull();
    expect(changes).toHaveBeenCalledTimes(7);
  });
});

describe("read marks", () => {
  it("marks the visitor's stored messages delivered, and read up to the operator's mark", () => {
    const list = document.createElement("ol");
    list.innerHTML = [1, 2, 3]
      .map((seq) => `<li data-fw="message" data-sender="${seq === 2 ? "operator" : "visitor"}" data-seq="${seq}"></li>`)
      .join("");
    showMarks(list, 1);
    const marks = () => [...list.querySelectorAll('[data-fw="mark"]')].map((m) => m.textContent);
    expect(marks()).toEqual(["✓✓", "✓"]);
    showMarks(list, 3);
    expect(marks()).toEqual(["✓✓", "✓✓"]);
  });
});
