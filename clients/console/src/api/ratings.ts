/** The visitor's post-chat rating of a conversation (EMB-10, docs/api.md): null while not rated. */

import type { ApiClient } from "./client";

export interface ConversationRating {
  conversation_id: string;
  score: number; // 1 (very bad) .. 5 (very good)
  comment: string | null;
  created_at: string;
}

export function conversationRating(api: ApiClient, conversationId: string): Promise<ConversationRating | null> {
  return api
    .get<{ rating: ConversationRating | null }>(`/api/v1/conversations/${encodeURIComponent(conversationId)}/rating`)
    .then((body) => body.rating);
}
