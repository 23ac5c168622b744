/** The console's pane sizes (OPS-1): the live visitors' share of the height beside an open chat. */

export const PANE_KEY = "fw.console.liveShare";
export const DEFAULT_SHARE = 0.42;

export function clampShare(value: number): number {
  if (!Number.isFinite(value)) return DEFAULT_SHARE;
  return Math.min(0.8, Math.max(0.2, Math.round(value * 100) / 100));
}

export function loadShare(storage: Storage | undefined): number {
  try {
    const raw = storage?.getItem(PANE_KEY);
    return raw == null ? DEFAULT_SHARE : clampShare(Number(raw));
  } catch {
    return DEFAULT_SHARE;
  }
}

export function saveShare(storage: Storage | undefined, share: number): void {
  try {
    storage?.setItem(PANE_KEY, String(clampShare(share)));
  } catch {
    // private mode or full storage: the size lasts for this page only
  }
}
