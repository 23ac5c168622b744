/** Read marks of a conversation (EMB-8, docs/api.md): how far the visitor and each operator in it have read. */

import type { ApiClient } from "./client";

export interface ReadMark {
  reader: "visitor" | "operator";
  reader_id: string;
  seq: number;
}

export function readMarks(api: ApiClient, conversationId: string): Promise<ReadMark[]> {
  return api
    .get<{ marks: ReadMark[] }>(`/api/v1/conversations/${encodeURIComponent(conversationId)}/read-marks`)
    .then((body) => body.marks);
}
