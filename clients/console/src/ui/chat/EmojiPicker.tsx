import { useState } from "react";
import { EMOJI } from "../../state/edits";
import "./edits.css";

/** The composer's emoji button and its small grid (a built-in list); `onPick` inserts one at the caret. */
export function EmojiPicker({ onPick }: { onPick: (emoji: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="emoji-picker">
      <button
        type="button"
        data-fw="emoji-toggle"
        aria-label="Emoji"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        😊
      </button>
      {open && (
        <div className="emoji-grid" data-fw="emoji-grid" role="listbox">
          {EMOJI.map((emoji) => (
            <button
              key={emoji}
              type="button"
              data-fw="emoji"
              onClick={() => {
                onPick(emoji);
                setOpen(false);
              }}
            >
              {emoji}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
