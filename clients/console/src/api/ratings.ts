/** The visitor's post-chat rating of a conversation (EMB-10, docs/api.md): null while not rated. */

import type { ApiClient } from "./client";
import { call, type Out } from "./typed";

/** `score`: 1 (very bad) .. 5 (very good). */
export type ConversationRating = Out<"RatingOut">;

export function conversationRating(api: ApiClient, conversationId: string): Promise<ConversationRating | null> {
  return call(api, "get", "/api/v1/conversations/{conversation_id}/rating", {
    path: { conversation_id: conversationId },
  }).then((body) => body.rating);
}
