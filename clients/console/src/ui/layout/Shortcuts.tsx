import { useEffect, useRef } from "react";
import { isTextField, SHORTCUTS, shortcutFor, type ShortcutAction } from "../../lib/shortcuts";

/** Listens on the window for the console's shortcuts while `enabled`. */
export function useShortcuts(enabled: boolean, handle: (action: ShortcutAction) => void): void {
  const latest = useRef(handle);
  latest.current = handle;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      const action = shortcutFor({
        key: event.key,
        altKey: event.altKey,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
        inTextField: isTextField(event.target),
      });
      if (!action) return;
      if (action !== "close-panel") event.preventDefault();
      latest.current(action);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="shortcut-help" role="dialog" aria-label="Keyboard shortcuts" data-fw="shortcut-help">
      <div className="shortcut-card">
        <header>
          <h2>Keyboard shortcuts</h2>
          <button type="button" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </header>
        <dl>
          {SHORTCUTS.map((s) => (
            <div key={s.keys} className="shortcut">
              <dt>
                <kbd>{s.keys}</kbd>
              </dt>
              <dd>{s.what}</dd>
            </div>
          ))}
        </dl>
      </div>
    </div>
  );
}
