/** Attachments (CHAT-10, docs/api.md): send a file in a conversation, fetch one, with the operator's token in the
 * `Authorization` header (never in a URL). The server types the file by its content and refuses what it will not
 * take (413 `attachment_too_large`, 415 `unsupported_type`, 422 `empty_file`). */

import type { Message } from "../types";
import type { ApiClient } from "./client";

const base = (conversationId: string) => `/api/v1/conversations/${encodeURIComponent(conversationId)}/attachments`;

export async function uploadAttachment(
  api: ApiClient,
  conversationId: string,
  file: Blob,
  name: string,
  clientMsgId: string,
): Promise<Message> {
  const query = `?name=${encodeURIComponent(name)}&client_msg_id=${encodeURIComponent(clientMsgId)}`;
  const response = await api.raw("POST", base(conversationId) + query, file, "application/octet-stream");
  return (await response.json()) as Message;
}

export async function fetchAttachment(api: ApiClient, conversationId: string, attachmentId: string): Promise<Blob> {
  const response = await api.raw("GET", `${base(conversationId)}/${encodeURIComponent(attachmentId)}`);
  return response.blob();
}
