/** Live visitors by id. */

import type { Visitor, VisitorMove } from "../types";
import { time } from "./conversations";

export type VisitorMap = Readonly<Record<string, Visitor>>;

function newer(existing: Visitor | undefined, incoming: Visitor): Visitor {
  if (!existing) return incoming;
  return time(incoming.last_seen_at) >= time(existing.last_seen_at) ? incoming : existing;
}

export function upsertVisitor(map: VisitorMap, visitor: Visitor): VisitorMap {
  const current = map[visitor.visitor_id];
  const chosen = newer(current, visitor);
  return chosen === current ? map : { ...map, [visitor.visitor_id]: chosen };
}

/**
 * A listed visitor moves to their newest page as soon as the gateway accepted it (`visitor.moves`); the rest
 * of the row (section, location...) stays until the stored record follows with the same or a later
 * `last_seen_at` and replaces it. A visitor not listed, or a move older than the row, changes nothing.
 */
export function moveVisitor(map: VisitorMap, move: VisitorMove): VisitorMap {
  const current = map[move.visitor_id];
  if (!current || current.site_id !== move.site_id) return map;
  if (time(move.last_seen_at) <= time(current.last_seen_at)) return map;
  const moved: Visitor = {
    ...current,
    current_url: move.current_url,
    current_title: move.current_title,
    page_started_at: move.page_started_at,
    last_seen_at: move.last_seen_at,
    pages_viewed: current.pages_viewed + move.pages_added,
  };
  return { ...map, [move.visitor_id]: moved };
}

export function removeVisitor(map: VisitorMap, visitorId: string): VisitorMap {
  if (!(visitorId in map)) return map;
  const next = { ...map };
  delete next[visitorId];
  return next;
}

/**
 * The live list fetched from the server replaces what we hold, except for what the socket changed
 * while the request was in flight (`changedSince`): a visitor who arrived then is kept, one who left
 * then stays gone, and a newer update wins over the fetched copy.
 */
export function replaceVisitors(
  map: VisitorMap,
  list: readonly Visitor[],
  changedSince: (visitorId: string) => boolean = () => false,
): VisitorMap {
  const next: Record<string, Visitor> = {};
  for (const [id, visitor] of Object.entries(map)) if (changedSince(id)) next[id] = visitor;
  for (const visitor of list) {
    const id = visitor.visitor_id;
    if (changedSince(id) && !(id in map)) continue;
    next[id] = newer(map[id], visitor);
  }
  return next;
}

/** Most recently active first. */
export function visitorList(map: VisitorMap): Visitor[] {
  return Object.values(map).sort(
    (a, b) => time(b.last_seen_at) - time(a.last_seen_at) || a.visitor_id.localeCompare(b.visitor_id),
  );
}
