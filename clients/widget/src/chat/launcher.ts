/**
 * The launcher's state while the chat is mounted (drawn by the chat bundle: the loader's launcher has neither
 * until then): `aria-expanded` and the unread badge, the operator messages received while the panel is minimised.
 */
import { adoptStyles } from "../shared/styles";
import type { ChatState } from "../shared/types";

const BADGE_CSS =
  "[data-fw=unread]{background:#dc2626;border-radius:10px;min-width:20px;padding:0 6px;font-size:12px;text-align:center}";

export interface LauncherState {
  show(state: ChatState): void;
  /** Takes the badge and its stylesheet away (the chat is destroyed). */
  remove(): void;
}

export function launcherState(launcher: HTMLElement): LauncherState {
  const badge = document.createElement("span");
  badge.setAttribute("data-fw", "unread");
  badge.hidden = true;
  launcher.append(badge);
  const removeStyles = adoptStyles(launcher.getRootNode(), BADGE_CSS, launcher);
  return {
    show({ open, unread }) {
      launcher.setAttribute("aria-expanded", String(open));
      badge.hidden = open || unread <= 0;
      badge.textContent = unread > 9 ? "9+" : unread > 0 ? String(unread) : "";
    },
    remove() {
      badge.remove();
      removeStyles();
    },
  };
}
