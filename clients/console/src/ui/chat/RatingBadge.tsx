import { useEffect, useState } from "react";
import { conversationRating, type ConversationRating } from "../../api/ratings";
import type { ApiClient } from "../../api/client";
import type { Conversation } from "../../types";

/** The faces the widget offers (EMB-10), 1..5. */
export const FACES = ["😞", "🙁", "😐", "🙂", "😄"];
const LOOK_AGAIN_MS = 5_000; // a closed chat's visitor may rate it a little later: look again while it is shown
const LOOKS = 60;

/** In the chat header: the visitor's rating of an ended conversation, with their comment (as text). */
export function RatingBadge({ api, conversation }: { api: ApiClient; conversation: Conversation }) {
  const [rating, setRating] = useState<ConversationRating | null>(null);
  const closed = conversation.state === "closed";
  useEffect(() => {
    setRating(null);
    if (!closed) return;
    let stopped = false;
    let looks = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const look = () => {
      looks += 1;
      conversationRating(api, conversation.id)
        .then((found) => {
          if (stopped) return;
          if (found) setRating(found);
          else if (looks < LOOKS) timer = setTimeout(look, LOOK_AGAIN_MS);
        })
        .catch(() => undefined);
    };
    look();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, conversation.id, closed]);
  if (!rating) return null;
  return (
    <p className="muted" data-fw="conversation-rating" data-score={rating.score}>
      Rated <span aria-hidden="true">{FACES[rating.score - 1]}</span> {rating.score}/5
      {rating.comment && <> · “<span data-fw="rating-comment">{rating.comment}</span>”</>}
    </p>
  );
}
