import { describe, expect, it, vi } from "vitest";
import { ALERT_PREFS_KEY, loadAlertPrefs, saveAlertPrefs } from "../src/app/alertPrefs";
import { browserNotifier, shouldNotify, titleFor } from "../src/app/notify";
import { clampShare, loadShare, PANE_KEY, saveShare } from "../src/lib/panes";
import { lastMessages, previewText, timesLine } from "../src/lib/preview";
import { shortcutFor, stepChat } from "../src/lib/shortcuts";
import type { Message } from "../src/types";

const press = (key: string, extra: Partial<Parameters<typeof shortcutFor>[0]> = {}) =>
  shortcutFor({ key, altKey: false, ctrlKey: false, metaKey: false, inTextField: false, ...extra });

describe("keyboard shortcuts", () => {
  it("Alt+Down and Alt+Up step through the chats, wrapping around", () => {
    expect(press("ArrowDown", { altKey: true })).toBe("next-chat");
    expect(press("ArrowUp", { altKey: true })).toBe("previous-chat");
    expect(press("ArrowDown")).toBeNull(); // plain arrows scroll as usual
    expect(stepChat(["a", "b", "c"], "c", 1)).toBe("a");
    expect(stepChat(["a", "b", "c"], "a", -1)).toBe("c");
    expect(stepChat(["a", "b"], null, 1)).toBe("a");
    expect(stepChat([], null, 1)).toBeNull();
  });

  it("? opens the help outside text fields only; Esc closes", () => {
    expect(press("?")).toBe("toggle-help");
    expect(press("?", { inTextField: true })).toBeNull();
    expect(press("Escape", { inTextField: true })).toBe("close-panel");
  });
});

describe("the tab title counts what waits for the operator", () => {
  it("shows the count, and the bare name at zero", () => {
    expect(titleFor(3)).toBe("(3) Floorwalker");
    expect(titleFor(0)).toBe("Floorwalker");
    const notifier = browserNotifier(document);
    notifier.title(2);
    expect(document.title).toBe("(2) Floorwalker");
  });
});

describe("alert switches", () => {
  it("mute is remembered and silences the beep", () => {
    localStorage.clear();
    expect(loadAlertPrefs()).toEqual({ muted: false, desktop: true });
    saveAlertPrefs({ muted: true, desktop: false });
    expect(JSON.parse(localStorage.getItem(ALERT_PREFS_KEY) ?? "{}")).toEqual({ muted: true, desktop: false });
    expect(loadAlertPrefs()).toEqual({ muted: true, desktop: false });

    const created = vi.fn();
    class FakeAudio {
      constructor() {
        created();
      }
    }
    const fakeWindow = { AudioContext: FakeAudio } as unknown as Window;
    const doc = { defaultView: fakeWindow, title: "" } as unknown as Document;
    browserNotifier(doc, () => 0, () => ({ muted: true, desktop: true })).beep();
    expect(created).not.toHaveBeenCalled();
    browserNotifier(doc, () => 0, () => ({ muted: false, desktop: true })).beep();
    expect(created).toHaveBeenCalledTimes(1);
  });

  it("a desktop notification only when wanted, permitted and the console is not looked at", () => {
    const away = { visibilityState: "hidden", hasFocus: () => false } as unknown as Document;
    const looking = { visibilityState: "visible", hasFocus: () => true } as unknown as Document;
    expect(shouldNotify({ muted: false, desktop: true }, "granted", away)).toBe(true);
    expect(shouldNotify({ muted: false, desktop: true }, "granted", looking)).toBe(false);
    expect(shouldNotify({ muted: false, desktop: true }, "default", away)).toBe(false);
    expect(shouldNotify({ muted: false, desktop: false }, "granted", away)).toBe(false);

    const shown: Array<{ title: string; options: NotificationOptions }> = [];
    class FakeNotification {
      static permission = "granted";
      onclick: (() => void) | null = null;
      constructor(title: string, options: NotificationOptions) {
        shown.push({ title, options });
      }
      close() {}
    }
    const doc = {
      defaultView: { Notification: FakeNotification, focus() {} },
      visibilityState: "hidden",
      hasFocus: () => false,
    } as unknown as Document;
    browserNotifier(doc, () => 0, () => ({ muted: false, desktop: true })).notify?.({
      kind: "message",
      body: "Is the laptop in stock?",
      tag: "conv-1",
    });
    expect(shown).toEqual([{ title: "New message", options: { body: "Is the laptop in stock?", tag: "conv-1" } }]);
  });
});

describe("layout and previews", () => {
  it("the live list's share is clamped and remembered", () => {
    localStorage.clear();
    expect(loadShare(localStorage)).toBe(0.42);
    saveShare(localStorage, 0.95);
    expect(localStorage.getItem(PANE_KEY)).toBe("0.8");
    expect(loadShare(localStorage)).toBe(0.8);
    expect(clampShare(Number.NaN)).toBe(0.42);
  });

  it("previews the last message on one line and names the times", () => {
    const m = (seq: number, text: string, sender: Message["sender_type"] = "visitor") =>
      ({ id: `m${seq}`, seq, text, sender_type: sender, conversation_id: "c1" }) as unknown as Message;
    expect(lastMessages({ c1: [m(1, "hi"), m(2, "second\nline"), m(3, "joined", "system")] }).c1.text).toBe(
      "second\nline",
    );
    expect(previewText("second\nline")).toBe("second line");
    expect(previewText("x".repeat(100), 10)).toBe(`${"x".repeat(9)}…`);
    expect(timesLine(null, null)).toBe("");
    expect(timesLine("2026-01-01T10:00:00Z", "2026-01-01T10:05:00Z")).toMatch(/^last message .+ · seen .+$/);
  });
});
