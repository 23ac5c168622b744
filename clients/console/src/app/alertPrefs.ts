/** The operator's alert switches (OPS-5), remembered per browser: sound muted, desktop notifications on. */

export const ALERT_PREFS_KEY = "fw.console.alerts";

export interface AlertPrefs {
  muted: boolean;
  /** Desktop notifications wanted (the browser's permission is asked separately, on a click). */
  desktop: boolean;
}

export const DEFAULT_PREFS: AlertPrefs = { muted: false, desktop: true };

export function loadAlertPrefs(storage: Storage | undefined = globalThis.localStorage): AlertPrefs {
  try {
    const raw = storage?.getItem(ALERT_PREFS_KEY);
    if (!raw) return { ...DEFAULT_PREFS };
    const parsed = JSON.parse(raw) as Partial<AlertPrefs>;
    return {
      muted: typeof parsed.muted === "boolean" ? parsed.muted : DEFAULT_PREFS.muted,
      desktop: typeof parsed.desktop === "boolean" ? parsed.desktop : DEFAULT_PREFS.desktop,
    };
  } catch {
    return { ...DEFAULT_PREFS };
  }
}

export function saveAlertPrefs(prefs: AlertPrefs, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(ALERT_PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // storage refused: the switch lasts for this page
  }
}
