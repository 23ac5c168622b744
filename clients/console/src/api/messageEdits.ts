/** Typed calls to edit, retract and read the versions of a message (CHAT-5, docs/api.md). */

import type { Message } from "../types";
import type { ApiClient } from "./client";

export interface MessageVersion {
  revision: number;
  action: "created" | "edited" | "retracted";
  text: string;
  by_type: string;
  by_id: string | null;
  by_name: string | null;
  at: string;
}

const path = (conversationId: string, messageId: string) =>
  `/api/v1/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(messageId)}`;

export function editMessage(api: ApiClient, conversationId: string, messageId: string, text: string): Promise<Message> {
  return api.request<Message>("PATCH", path(conversationId, messageId), { body: { text } });
}

export function retractMessage(api: ApiClient, conversationId: string, messageId: string): Promise<Message> {
  return api.request<Message>("DELETE", path(conversationId, messageId));
}

/** Supervisors and admins: every version, oldest first. */
export function messageHistory(api: ApiClient, conversationId: string, messageId: string): Promise<MessageVersion[]> {
  return api
    .get<{ versions: MessageVersion[] }>(`${path(conversationId, messageId)}/history`)
    .then((body) => body.versions);
}
