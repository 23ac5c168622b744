/** Operator notifications (OPS-5): a short beep (unless muted), the "(N) Floorwalker" tab title and a
 * desktop notification (Notification API) while the console is not looked at. */
import { loadAlertPrefs, type AlertPrefs } from "./alertPrefs";

export const APP_TITLE = "Floorwalker";

/** What a desktop notification says: a new chat waits, or a visitor wrote. `tag` replaces an older one. */
export interface AlertNote {
  kind: "chat" | "message";
  body: string;
  tag: string;
}

export interface Notifier {
  beep(): void;
  title(count: number): void;
  /** A desktop notification, when allowed, wanted and the console is hidden or not focused. */
  notify?(note: AlertNote): void;
}

type NotificationCtor = {
  new (title: string, options?: NotificationOptions): Notification;
  permission: NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
};

function notificationApi(doc: Document): NotificationCtor | undefined {
  const win = doc.defaultView as unknown as { Notification?: NotificationCtor } | null;
  return win?.Notification;
}

/** Whether desktop notifications can be asked for here, and what the browser said so far. */
export function notificationPermission(doc: Document = document): NotificationPermission | "unsupported" {
  return notificationApi(doc)?.permission ?? "unsupported";
}

/** Asks the browser's permission: call it from a click (browsers refuse it otherwise). */
export async function askNotificationPermission(
  doc: Document = document,
): Promise<NotificationPermission | "unsupported"> {
  const api = notificationApi(doc);
  if (!api) return "unsupported";
  if (api.permission !== "default") return api.permission;
  try {
    return await api.requestPermission();
  } catch {
    return api.permission;
  }
}

export function noteTitle(note: AlertNote): string {
  return note.kind === "chat" ? "New chat waiting" : "New message";
}

/** Shown only when wanted, permitted and the operator is elsewhere (another tab or window). */
export function shouldNotify(prefs: AlertPrefs, permission: string, doc: Document): boolean {
  if (!prefs.desktop || permission !== "granted") return false;
  return doc.visibilityState === "hidden" || !doc.hasFocus();
}

export function titleFor(count: number): string {
  return count > 0 ? `(${count}) ${APP_TITLE}` : APP_TITLE;
}

type AudioContextCtor = new () => AudioContext;

/** A notifier on the real document and WebAudio; silent where audio is unavailable or not yet allowed. */
export function browserNotifier(
  doc: Document = document,
  now: () => number = Date.now,
  prefs: () => AlertPrefs = () => loadAlertPrefs(),
): Notifier {
  let context: AudioContext | null = null;
  let lastBeep = -Infinity;
  return {
    title(count) {
      const title = titleFor(count);
      if (doc.title !== title) doc.title = title;
    },
    notify(note) {
      const api = notificationApi(doc);
      if (!api || !shouldNotify(prefs(), api.permission, doc)) return;
      try {
        const shown = new api(noteTitle(note), { body: note.body.slice(0, 140), tag: note.tag });
        shown.onclick = () => {
          doc.defaultView?.focus();
          shown.close();
        };
      } catch {
        // some browsers allow notifications from a service worker only: the title counter still tells
      }
    },
    beep() {
      if (prefs().muted) return;
      if (now() - lastBeep < 800) return;
      lastBeep = now();
      try {
        const win = doc.defaultView as unknown as {
          AudioContext?: AudioContextCtor;
          webkitAudioContext?: AudioContextCtor;
        } | null;
        const Ctor = (win?.AudioContext ?? win?.webkitAudioContext) as AudioContextCtor | undefined;
        if (!Ctor) return;
        context ??= new Ctor();
        if (context.state === "suspended") void context.resume().catch(() => {});
        const start = context.currentTime;
        const oscillator = context.createOscillator();
        const gain = context.createGain();
        oscillator.type = "sine";
        oscillator.frequency.setValueAtTime(880, start);
        oscillator.frequency.setValueAtTime(1320, start + 0.09);
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.22);
        oscillator.connect(gain).connect(context.destination);
        oscillator.start(start);
        oscillator.stop(start + 0.25);
      } catch {
        // Autoplay policy or no audio device: the title counter still tells the operator.
      }
    },
  };
}
