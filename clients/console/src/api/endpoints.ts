/** Typed calls to the operator endpoints of docs/api.md. */

import type { Conversation, ConversationState, Message, Visitor } from "../types";
import type { ApiClient } from "./client";

export const MESSAGE_PAGE = 200;

export function listConversations(api: ApiClient, state: ConversationState): Promise<Conversation[]> {
  return api
    .get<{ conversations: Conversation[] }>(`/api/v1/conversations?state=${state}`)
    .then((body) => body.conversations);
}

export function getConversation(api: ApiClient, id: string): Promise<Conversation> {
  return api.get<Conversation>(`/api/v1/conversations/${encodeURIComponent(id)}`);
}

export function acceptConversation(api: ApiClient, id: string): Promise<Conversation> {
  return api.post<Conversation>(`/api/v1/conversations/${encodeURIComponent(id)}/accept`);
}

export function closeConversation(api: ApiClient, id: string): Promise<Conversation> {
  return api.post<Conversation>(`/api/v1/conversations/${encodeURIComponent(id)}/close`);
}

/** Every message after `afterSeq`, page by page, ordered by seq. */
export async function listMessages(api: ApiClient, id: string, afterSeq = 0): Promise<Message[]> {
  const all: Message[] = [];
  let after = afterSeq;
  for (;;) {
    const path = `/api/v1/conversations/${encodeURIComponent(id)}/messages?after_seq=${after}&limit=${MESSAGE_PAGE}`;
    const { messages } = await api.get<{ messages: Message[] }>(path);
    all.push(...messages);
    if (messages.length < MESSAGE_PAGE) return all;
    after = messages[messages.length - 1].seq;
  }
}

export function liveVisitors(api: ApiClient): Promise<Visitor[]> {
  return api.get<{ visitors: Visitor[] }>("/api/v1/visitors/live").then((body) => body.visitors);
}
