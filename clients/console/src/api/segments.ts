/** Typed calls to the customer segments endpoints of docs/api.md (Segments): the account's segments in order
 * (first match wins), their edits and order, and the live preview of a definition's conditions. */

import type { Node } from "../lib/rules";
import type { ApiClient } from "./client";
import { call, type Out, type Schema } from "./typed";

/** A definition as the server takes it: `conditions`, a rule's condition tree without the `segment` condition. */
export interface SegmentDefinition {
  name: string;
  description: string;
  conditions: Node;
}

/** `position` 0 is tested first: a visitor is in the first segment they match. */
export type Segment = Omit<Out<"SegmentOut">, "conditions"> & SegmentDefinition;
export type SegmentPreviewVisitor = Out<"SegmentPreviewVisitor">;
export type SegmentPreview = Out<"SegmentPreviewOut">;

/** The tree as the document types it: the editor builds it from the catalogue of `lib/rules.ts` (any leaf `type`
 * with its fields), and the server checks it (422 with the path of what is wrong). */
const served = (conditions: Node) => conditions as Schema<"SegmentDefinition">["conditions"];
const segment = (id: string) => ({ path: { segment_id: id } });

export function listSegments(api: ApiClient): Promise<Segment[]> {
  return call(api, "get", "/api/v1/segments").then((body) => body.segments);
}

export function createSegment(api: ApiClient, definition: SegmentDefinition): Promise<Segment> {
  return call(api, "post", "/api/v1/segments", { body: { ...definition, conditions: served(definition.conditions) } });
}

/** The whole new definition, refused (409 `version_conflict`) if the segment is past `version`. */
export function replaceSegment(
  api: ApiClient,
  id: string,
  definition: SegmentDefinition,
  version: number,
): Promise<Segment> {
  const body = { ...definition, conditions: served(definition.conditions), version };
  return call(api, "put", "/api/v1/segments/{segment_id}", { ...segment(id), body });
}

export async function deleteSegment(api: ApiClient, id: string): Promise<void> {
  await call(api, "delete", "/api/v1/segments/{segment_id}", segment(id));
}

/** The account's segments in their new order. */
export function moveSegment(api: ApiClient, id: string, position: number): Promise<Segment[]> {
  return call(api, "post", "/api/v1/segments/{segment_id}/move", { ...segment(id), body: { position } }).then(
    (body) => body.segments,
  );
}

export function previewSegment(api: ApiClient, conditions: Node): Promise<SegmentPreview> {
  return call(api, "post", "/api/v1/segments/preview", { body: { conditions: served(conditions) } });
}

export function definitionOf(segment: Segment): SegmentDefinition {
  const { name, description, conditions } = segment;
  return { name, description, conditions };
}

/** A new segment to start from: returning visitors who viewed a few products. */
export function newSegment(): SegmentDefinition {
  return {
    name: "New segment",
    description: "",
    conditions: {
      type: "and",
      conditions: [
        { type: "returning", value: true },
        { type: "products_viewed", op: "ge", value: 3 },
      ],
    },
  };
}
