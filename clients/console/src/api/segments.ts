/** Typed calls to the customer segments endpoints of docs/api.md (Segments): the account's segments in order
 * (first match wins), their edits and order, and the live preview of a definition's conditions. */

import type { Node } from "../lib/rules";
import type { ApiClient } from "./client";

export interface SegmentDefinition {
  name: string;
  description: string;
  /** A rule's condition tree, without the `segment` condition. */
  conditions: Node;
}

export interface Segment extends SegmentDefinition {
  id: string;
  /** 0 is tested first: a visitor is in the first segment they match. */
  position: number;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface SegmentPreviewVisitor {
  visitor_id: string;
  site_id: string;
  current_url: string | null;
  current_title: string | null;
  /** The segment the visitor is in now. */
  segment_id: string | null;
  segment_name: string | null;
  matched: boolean;
}

export interface SegmentPreview {
  live: number;
  matching: number;
  visitors: SegmentPreviewVisitor[];
}

const enc = encodeURIComponent;
const segmentPath = (id: string) => `/api/v1/segments/${enc(id)}`;

export function listSegments(api: ApiClient): Promise<Segment[]> {
  return api.get<{ segments: Segment[] }>("/api/v1/segments").then((body) => body.segments);
}

export function createSegment(api: ApiClient, definition: SegmentDefinition): Promise<Segment> {
  return api.post<Segment>("/api/v1/segments", definition);
}

/** The whole new definition, refused (409 `version_conflict`) if the segment is past `version`. */
export function replaceSegment(
  api: ApiClient,
  id: string,
  definition: SegmentDefinition,
  version: number,
): Promise<Segment> {
  return api.request<Segment>("PUT", segmentPath(id), { body: { ...definition, version } });
}

export function deleteSegment(api: ApiClient, id: string): Promise<void> {
  return api.request<unknown>("DELETE", segmentPath(id)).then(() => undefined);
}

/** The account's segments in their new order. */
export function moveSegment(api: ApiClient, id: string, position: number): Promise<Segment[]> {
  return api.post<{ segments: Segment[] }>(`${segmentPath(id)}/move`, { position }).then((body) => body.segments);
}

export function previewSegment(api: ApiClient, conditions: Node): Promise<SegmentPreview> {
  return api.post<SegmentPreview>("/api/v1/segments/preview", { conditions });
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
