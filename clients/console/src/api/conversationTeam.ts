/** Who is in a conversation (docs/api.md, Conversations): transfer, invite a colleague, watch or join (CHAT-6,
 * OPS-7), and the text of their refusals for a person. */

import type { Conversation } from "../types";
import { ApiError, NetworkError, type ApiClient } from "./client";
import { direct } from "./endpoints";
import { call } from "./typed";

export type TransferTarget = { to_operator_id: string } | { to_queue_id: string };

const conversation = (id: string) => ({ conversation_id: id });

function withNote<T extends object>(body: T, note: string): T & { note?: string } {
  const text = note.trim();
  return text ? { ...body, note: text } : body;
}

export function transferConversation(
  api: ApiClient,
  conversationId: string,
  target: TransferTarget,
  note = "",
): Promise<Conversation> {
  return call(api, "post", "/api/v1/conversations/{conversation_id}/transfer", {
    path: conversation(conversationId),
    body: withNote(target, note),
  }).then(direct);
}

export function inviteParticipant(
  api: ApiClient,
  conversationId: string,
  operatorId: string,
  note = "",
): Promise<Conversation> {
  return call(api, "post", "/api/v1/conversations/{conversation_id}/participants", {
    path: conversation(conversationId),
    body: withNote({ operator_id: operatorId }, note),
  }).then(direct);
}

export function removeParticipant(api: ApiClient, conversationId: string, userId: string): Promise<Conversation> {
  return call(api, "delete", "/api/v1/conversations/{conversation_id}/participants/{user_id}", {
    path: { ...conversation(conversationId), user_id: userId },
  }).then(direct);
}

export function watchConversation(api: ApiClient, conversationId: string): Promise<Conversation> {
  return call(api, "post", "/api/v1/conversations/{conversation_id}/watch", {
    path: conversation(conversationId),
  }).then(direct);
}

export function unwatchConversation(api: ApiClient, conversationId: string): Promise<Conversation> {
  return call(api, "delete", "/api/v1/conversations/{conversation_id}/watch", {
    path: conversation(conversationId),
  }).then(direct);
}

export function joinConversation(api: ApiClient, conversationId: string): Promise<Conversation> {
  return call(api, "post", "/api/v1/conversations/{conversation_id}/join", {
    path: conversation(conversationId),
  }).then(direct);
}

const REFUSALS: Record<string, string> = {
  operator_not_found: "That operator is not in this account any more.",
  operator_unavailable: "That operator is not online: pick someone who is, or a queue.",
  at_capacity: "That operator has no room for another chat right now.",
  queue_not_found: "That queue does not exist any more.",
  conversation_not_found: "This conversation is gone.",
  insufficient_role: "Only a supervisor or an admin may do this.",
};

/** What went wrong with a transfer, an invitation, watching or joining, for a person. */
export function teamErrorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (REFUSALS[error.code]) return REFUSALS[error.code];
    if (error.status === 404) return "This is not available (the server does not know it).";
    if (error.status === 403) return "You may not do this.";
    if (error.status === 422 && Array.isArray(error.details) && error.details.length > 0) {
      const first = error.details[0] as { message?: unknown };
      if (typeof first?.message === "string") return first.message.replace(/^Value error, /, "");
    }
    return error.message;
  }
  if (error instanceof NetworkError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
