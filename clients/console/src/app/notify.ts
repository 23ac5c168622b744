/** Operator notifications (OPS-5): a short beep and the "(N) Floorwalker" tab title. */

export const APP_TITLE = "Floorwalker";

export interface Notifier {
  beep(): void;
  title(count: number): void;
}

export function titleFor(count: number): string {
  return count > 0 ? `(${count}) ${APP_TITLE}` : APP_TITLE;
}

type AudioContextCtor = new () => AudioContext;

/** A notifier on the real document and WebAudio; silent where audio is unavailable or not yet allowed. */
export function browserNotifier(doc: Document = document, now: () => number = Date.now): Notifier {
  let context: AudioContext | null = null;
  let lastBeep = -Infinity;
  return {
    title(count) {
      const title = titleFor(count);
      if (doc.title !== title) doc.title = title;
    },
    beep() {
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
