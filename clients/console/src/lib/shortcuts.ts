/** The console's keyboard shortcuts (OPS-1): what a key press asks for, and the help list. */

export type ShortcutAction = "next-chat" | "previous-chat" | "close-panel" | "toggle-help";

export interface KeyPress {
  key: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  /** The press happened in a text field (typing "?" there is text, not a shortcut). */
  inTextField: boolean;
}

export const SHORTCUTS: ReadonlyArray<{ keys: string; what: string }> = [
  { keys: "Alt+↓", what: "Next chat" },
  { keys: "Alt+↑", what: "Previous chat" },
  { keys: "Enter or Ctrl/⌘+Enter", what: "Send the reply" },
  { keys: "Shift+Enter", what: "New line in the reply" },
  { keys: "Esc", what: "Close the visitor panel or this help" },
  { keys: "?", what: "Show or hide this list" },
];

export function shortcutFor(press: KeyPress): ShortcutAction | null {
  if (press.altKey && !press.ctrlKey && !press.metaKey) {
    if (press.key === "ArrowDown") return "next-chat";
    if (press.key === "ArrowUp") return "previous-chat";
  }
  if (press.key === "Escape") return "close-panel";
  if (press.key === "?" && !press.inTextField && !press.ctrlKey && !press.metaKey && !press.altKey) {
    return "toggle-help";
  }
  return null;
}

/** The chat after (step 1) or before (step -1) the open one in the operator's order, wrapping around. */
export function stepChat(order: readonly string[], current: string | null, step: 1 | -1): string | null {
  if (order.length === 0) return null;
  const at = current ? order.indexOf(current) : -1;
  if (at < 0) return step === 1 ? order[0] : order[order.length - 1];
  return order[(at + step + order.length) % order.length];
}

export function isTextField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || typeof el.tagName !== "string") return false;
  return el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable;
}
