/**
 * What the console knows of the team around the conversations: operators' presence (`presence.updated`),
 * the queues' summary (`queue.summary`), visitors a rule asked to highlight (`visitor.highlight`), and the
 * notes of chats handed to this operator (`conversation.transferred` / `conversation.invited`).
 * A reducer over plain data and a tiny store, like state/store.ts, kept apart so the conversation store stays small.
 */

import type { Presence } from "../api/presence";
import type { QueueSummary } from "../types";

/** How long a highlighted visitor stays marked when the frame does not say. */
export const HIGHLIGHT_SECONDS = 30;

export interface Highlight {
  ruleName: string;
  /** Epoch ms until which the visitor is marked. */
  until: number;
}

export interface Handover {
  /** To this operator, this operator invited, or sent back to a queue this operator may take it from. */
  kind: "transferred" | "invited" | "queued";
  fromUserId: string | null;
  /** The colleague's name when the frame gave it. */
  fromName?: string | null;
  note: string | null;
}

export interface TeamState {
  /** Presence by user id: the board's list, kept live by frames (the operator's own one too). */
  presence: Readonly<Record<string, Presence>>;
  /** The account's default maximum of concurrent chats (with the list; null until a supervisor loaded it). */
  defaultMaxChats: number | null;
  /** The queues now, with the time it was received (to tick the longest wait); null until known. */
  summary: { queues: QueueSummary[]; at: number } | null;
  highlights: Readonly<Record<string, Highlight>>;
  /** By conversation id: why it came to this operator, with the colleague's note. */
  handovers: Readonly<Record<string, Handover>>;
}

export const initialTeam: TeamState = {
  presence: {},
  defaultMaxChats: null,
  summary: null,
  highlights: {},
  handovers: {},
};

export type TeamAction =
  | { type: "presence.loaded"; operators: Presence[]; defaultMaxChats?: number }
  /** The colleagues' list (any operator): merged into what is known, nobody removed. */
  | { type: "colleagues.loaded"; operators: Presence[] }
  | { type: "presence.updated"; presence: Presence }
  | { type: "summary.loaded"; queues: QueueSummary[]; at: number }
  | { type: "highlight"; visitorId: string; ruleName: string; until: number; now: number }
  | { type: "handover"; conversationId: string; handover: Handover }
  | { type: "handover.dismissed"; conversationId: string };

function changedAt(p: Presence): number {
  const value = Date.parse(p.status_changed_at);
  return Number.isNaN(value) ? 0 : value;
}

export function teamReducer(state: TeamState, action: TeamAction): TeamState {
  switch (action.type) {
    case "presence.loaded": {
      const presence: Record<string, Presence> = {};
      for (const p of action.operators) {
        const known = state.presence[p.user_id];
        // a frame newer than the list wins
        presence[p.user_id] = known && changedAt(known) > changedAt(p) ? known : p;
      }
      return { ...state, presence, defaultMaxChats: action.defaultMaxChats ?? state.defaultMaxChats };
    }
    case "colleagues.loaded": {
      const presence: Record<string, Presence> = { ...state.presence };
      for (const p of action.operators) {
        const known = state.presence[p.user_id];
        if (known && changedAt(known) > changedAt(p)) presence[p.user_id] = { ...known, queue_ids: p.queue_ids };
        else presence[p.user_id] = known ? { ...known, ...p, max_chats_override: known.max_chats_override } : p;
      }
      return { ...state, presence };
    }
    case "presence.updated": {
      const p = action.presence;
      const known = state.presence[p.user_id];
      if (known && changedAt(known) > changedAt(p)) return state;
      return { ...state, presence: { ...state.presence, [p.user_id]: p } };
    }
    case "summary.loaded":
      return { ...state, summary: { queues: action.queues, at: action.at } };
    case "highlight": {
      const highlights: Record<string, Highlight> = {};
      for (const [id, h] of Object.entries(state.highlights)) if (h.until > action.now) highlights[id] = h;
      highlights[action.visitorId] = { ruleName: action.ruleName, until: action.until };
      return { ...state, highlights };
    }
    case "handover":
      return { ...state, handovers: { ...state.handovers, [action.conversationId]: action.handover } };
    case "handover.dismissed": {
      if (!state.handovers[action.conversationId]) return state;
      const handovers = { ...state.handovers };
      delete handovers[action.conversationId];
      return { ...state, handovers };
    }
  }
}

/** The visitors marked at `now`, by visitor id, with the rule that asked. */
export function activeHighlights(state: TeamState, now: number): Record<string, string> {
  const marked: Record<string, string> = {};
  for (const [id, h] of Object.entries(state.highlights)) if (h.until > now) marked[id] = h.ruleName;
  return marked;
}

/** The queues' longest waits, ticked forward from when the summary arrived (a queue with nobody waiting stays 0). */
export function tickedSummary(summary: TeamState["summary"], now: number): QueueSummary[] | null {
  if (!summary) return null;
  const elapsed = Math.max(0, Math.floor((now - summary.at) / 1000));
  return summary.queues.map((q) =>
    q.waiting > 0 ? { ...q, longest_wait_seconds: q.longest_wait_seconds + elapsed } : q,
  );
}

export interface TeamStore {
  getState(): TeamState;
  dispatch(action: TeamAction): void;
  subscribe(listener: () => void): () => void;
}

export function createTeamStore(state: TeamState = initialTeam): TeamStore {
  let current = state;
  const listeners = new Set<() => void>();
  return {
    getState: () => current,
    dispatch(action) {
      const next = teamReducer(current, action);
      if (next === current) return;
      current = next;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
