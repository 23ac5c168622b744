/** Typed calls to edit, retract and read the versions of a message (CHAT-5, docs/api.md). */

import type { Message } from "../types";
import type { ApiClient } from "./client";
import { call, type Out } from "./typed";

export type MessageVersion = Out<"MessageVersion">;

const message = (conversationId: string, messageId: string) => ({
  path: { conversation_id: conversationId, message_id: messageId },
});

export function editMessage(api: ApiClient, conversationId: string, messageId: string, text: string): Promise<Message> {
  return call(api, "patch", "/api/v1/conversations/{conversation_id}/messages/{message_id}", {
    ...message(conversationId, messageId),
    body: { text },
  });
}

export function retractMessage(api: ApiClient, conversationId: string, messageId: string): Promise<Message> {
  return call(
    api,
    "delete",
    "/api/v1/conversations/{conversation_id}/messages/{message_id}",
    message(conversationId, messageId),
  );
}

/** Supervisors and admins: every version, oldest first. */
export function messageHistory(api: ApiClient, conversationId: string, messageId: string): Promise<MessageVersion[]> {
  return call(
    api,
    "get",
    "/api/v1/conversations/{conversation_id}/messages/{message_id}/history",
    message(conversationId, messageId),
  ).then((body) => body.versions);
}
