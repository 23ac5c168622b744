import { useCallback, useState, type KeyboardEvent, type PointerEvent } from "react";
import { clampShare, loadShare, saveShare } from "../../lib/panes";

interface Props {
  /** The live list's share of the height under the chat, 0.2..0.8. */
  share: number;
  onChange: (share: number) => void;
  /** The element whose height the share is of (the columns grid). */
  container: () => HTMLElement | null;
}

/** The bar between the chat and the live visitors: drag it, or focus it and press the arrow keys. */
export function Splitter({ share, onChange, container }: Props) {
  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    const box = container()?.getBoundingClientRect();
    if (!box || box.height <= 0) return;
    event.preventDefault();
    const target = event.currentTarget;
    target.setPointerCapture(event.pointerId);
    const move = (e: globalThis.PointerEvent) => onChange(clampShare((box.bottom - e.clientY) / box.height));
    const up = () => {
      target.removeEventListener("pointermove", move);
      target.removeEventListener("pointerup", up);
    };
    target.addEventListener("pointermove", move);
    target.addEventListener("pointerup", up);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "ArrowUp") onChange(clampShare(share + 0.05));
    else if (event.key === "ArrowDown") onChange(clampShare(share - 0.05));
    else return;
    event.preventDefault();
  };
  return (
    <div
      className="pane-splitter"
      role="separator"
      aria-orientation="horizontal"
      aria-label="Resize the live visitors list"
      aria-valuenow={Math.round(share * 100)}
      aria-valuemin={20}
      aria-valuemax={80}
      tabIndex={0}
      data-fw="pane-splitter"
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
    />
  );
}

/** The live list's share, remembered in localStorage. */
export function usePaneShare(storage: Storage | undefined = globalThis.localStorage): [number, (n: number) => void] {
  const [share, setShare] = useState(() => loadShare(storage));
  const update = useCallback(
    (next: number) => {
      setShare(next);
      saveShare(storage, next);
    },
    [storage],
  );
  return [share, update];
}
