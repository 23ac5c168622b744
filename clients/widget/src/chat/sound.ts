/** A short WebAudio beep for new operator messages (off when the site sets `widget.sound` to false). */
type AudioCtor = typeof AudioContext;

export function createBeep(enabled: boolean): () => void {
  let context: AudioContext | null = null;
  return () => {
    if (!enabled) return;
    try {
      const Ctor: AudioCtor | undefined =
        window.AudioContext || (window as unknown as { webkitAudioContext?: AudioCtor }).webkitAudioContext;
      if (!Ctor) return;
      context = context || new Ctor();
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      const now = context.currentTime;
      oscillator.frequency.value = 880;
      gain.gain.setValueAtTime(0.08, now);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(now);
      oscillator.stop(now + 0.25);
    } catch {
      /* autoplay policy or no audio: stay silent */
    }
  };
}
