/** Read marks of a conversation (EMB-8, docs/api.md): how far the visitor and each operator in it have read. */

import type { ApiClient } from "./client";
import { call, type Out } from "./typed";

export type ReadMark = Out<"ReadMark">;

export function readMarks(api: ApiClient, conversationId: string): Promise<ReadMark[]> {
  return call(api, "get", "/api/v1/conversations/{conversation_id}/read-marks", {
    path: { conversation_id: conversationId },
  }).then((body) => body.marks);
}
