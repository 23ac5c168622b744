/** Attachments (CHAT-10, docs/api.md): send a file in a conversation, fetch one, with the operator's token in the
 * `Authorization` header (never in a URL). The server types the file by its content and refuses what it will not
 * take (413 `attachment_too_large`, 415 `unsupported_type`, 422 `empty_file`). */

import type { Message } from "../types";
import type { ApiClient } from "./client";
import { urlFor, type Out } from "./typed";

export async function uploadAttachment(
  api: ApiClient,
  conversationId: string,
  file: Blob,
  name: string,
  clientMsgId: string,
): Promise<Message> {
  const url = urlFor("post", "/api/v1/conversations/{conversation_id}/attachments", {
    path: { conversation_id: conversationId },
    query: { name, client_msg_id: clientMsgId },
  });
  const response = await api.raw("POST", url, file, "application/octet-stream");
  return (await response.json()) as Out<"MessageOut">;
}

export async function fetchAttachment(api: ApiClient, conversationId: string, attachmentId: string): Promise<Blob> {
  const url = urlFor("get", "/api/v1/conversations/{conversation_id}/attachments/{attachment_id}", {
    path: { conversation_id: conversationId, attachment_id: attachmentId },
  });
  return (await api.raw("GET", url)).blob();
}
