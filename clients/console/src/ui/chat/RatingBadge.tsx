import { useQuery } from "@tanstack/react-query";
import { conversationRating } from "../../api/ratings";
import type { ApiClient } from "../../api/client";
import { keys } from "../../api/keys";
import type { Conversation } from "../../types";

/** The faces the widget offers (EMB-10), 1..5. */
export const FACES = ["😞", "🙁", "😐", "🙂", "😄"];
const LOOK_AGAIN_MS = 5_000; // a closed chat's visitor may rate it a little later: look again while it is shown
const LOOKS = 60;

/** In the chat header: the visitor's rating of an ended conversation, with their comment (as text). */
export function RatingBadge({ api, conversation }: { api: ApiClient; conversation: Conversation }) {
  const closed = conversation.state === "closed";
  const { data: rating } = useQuery({
    queryKey: keys.rating(conversation.id),
    queryFn: () => conversationRating(api, conversation.id),
    enabled: closed,
    refetchInterval: ({ state }) =>
      state.data || state.status === "error" || state.dataUpdateCount >= LOOKS ? false : LOOK_AGAIN_MS,
  });
  if (!closed || !rating) return null;
  return (
    <p className="muted" data-fw="conversation-rating" data-score={rating.score}>
      Rated <span aria-hidden="true">{FACES[rating.score - 1]}</span> {rating.score}/5
      {rating.comment && <> · “<span data-fw="rating-comment">{rating.comment}</span>”</>}
    </p>
  );
}
