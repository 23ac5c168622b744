import { useState } from "react";
import { loadAlertPrefs, saveAlertPrefs, type AlertPrefs } from "../../app/alertPrefs";
import { askNotificationPermission, notificationPermission } from "../../app/notify";

/** The top bar's alert switches (OPS-5): sound on/off and desktop notifications (asked on the click). */
export function AlertSwitches() {
  const [prefs, setPrefs] = useState<AlertPrefs>(() => loadAlertPrefs());
  const [permission, setPermission] = useState(() => notificationPermission());
  const update = (next: AlertPrefs) => {
    setPrefs(next);
    saveAlertPrefs(next);
  };
  const desktopOn = prefs.desktop && permission === "granted";
  return (
    <span className="alert-switches">
      <button
        type="button"
        data-fw="mute"
        aria-pressed={prefs.muted}
        aria-label={prefs.muted ? "Sound off" : "Sound on"}
        title={prefs.muted ? "Sound is off: click to hear new chats and messages" : "Mute the alert sound"}
        onClick={() => update({ ...prefs, muted: !prefs.muted })}
      >
        {prefs.muted ? "Muted" : "Sound on"}
      </button>
      {permission !== "unsupported" && permission !== "denied" && (
        <button
          type="button"
          data-fw="desktop-alerts"
          aria-pressed={desktopOn}
          title="Desktop notifications while the console is in the background"
          onClick={async () => {
            if (permission !== "granted") {
              const answer = await askNotificationPermission();
              setPermission(answer);
              update({ ...prefs, desktop: answer === "granted" });
            } else update({ ...prefs, desktop: !prefs.desktop });
          }}
        >
          {desktopOn ? "Pop-ups on" : "Pop-ups off"}
        </button>
      )}
    </span>
  );
}
