import { useSyncExternalStore } from "react";
import type { ConversationSignals } from "../../realtime/typing";
import "./typing.css";

/** Re-renders with every typing or read-mark change (`realtime/typing.ts`). */
export function useSignals(signals: ConversationSignals): number {
  return useSyncExternalStore(signals.subscribe, signals.getVersion, signals.getVersion);
}

/** How far the visitor read a conversation; re-renders only when that moves (not with every draft). */
export function useVisitorReadSeq(signals: ConversationSignals, conversationId: string | undefined): number {
  const read = () => (conversationId ? signals.visitorReadSeq(conversationId) : 0);
  return useSyncExternalStore(signals.subscribe, read, read);
}

/** "The visitor is typing", with what they are writing when the site allows sneak-peek (CHAT-4): their text as it
 * is typed, never stored, gone when they send it, stop, or after a few seconds of silence. Text only. */
export function VisitorTyping({ signals, conversationId }: { signals: ConversationSignals; conversationId: string }) {
  useSignals(signals);
  const typing = signals.typingOf(conversationId);
  if (!typing) return null;
  return (
    <div className="visitor-typing" data-fw="visitor-typing" aria-live="polite">
      <span className="muted">The visitor is typing…</span>
      {typing.draft !== undefined && (
        <p className="sneak-peek" data-fw="sneak-peek" title="Not sent yet: what the visitor is writing">
          {typing.draft}
        </p>
      )}
    </div>
  );
}

/** An operator's stored message: ✓ delivered, ✓✓ read by the visitor (EMB-8). */
export function ReadTick({ read }: { read: boolean }) {
  return (
    <span className={read ? "read-mark read" : "read-mark"} data-fw="read-mark" data-read={read} title={read ? "Read" : "Delivered"}>
      {read ? "✓✓" : "✓"}
    </span>
  );
}
