/** The console's state: one reducer over plain data, and a tiny subscribable store around it. */

import type { ConnectionStatus, PendingMessage } from "../realtime/socket";
import type { Conversation, ConversationState, GeoInfo, InvitationNote, Message, Visitor, VisitorMove } from "../types";
import {
  movedConversation,
  noteMessages,
  replaceConversationsInState,
  upsertConversations,
  waitingList,
  type ConversationMap,
} from "./conversations";
import { contiguousSeq, lastSeq, mergeMessages, newMessages } from "./messages";
import { applyMessageUpdate } from "./edits";
import { moveVisitor, removeVisitor, replaceVisitors, upsertVisitor, type VisitorMap } from "./visitors";

export interface ConsoleState {
  conversations: ConversationMap;
  /** Messages per conversation id, sorted by seq (live arrivals too, before the history is loaded). */
  messages: Readonly<Record<string, Message[]>>;
  /** Conversations whose history was loaded from the REST API; these are resumed after a reconnect. */
  loaded: Readonly<Record<string, true>>;
  /** Per loaded conversation, the highest seq up to which no message is missing (what to resume after). */
  complete: Readonly<Record<string, number>>;
  visitors: VisitorMap;
  /** The latest invitation to each visitor, as far as the console heard (`invitation.state`). */
  invitations: Readonly<Record<string, InvitationNote>>;
  /** The geolocation database of the live list and the attribution its licence requires. */
  geo: GeoInfo | null;
  pending: PendingMessage[];
  /** Visitor messages not seen yet, per conversation. */
  unread: Readonly<Record<string, number>>;
  selectedId: string | null;
  /** Whether the operator is looking at the tab (document visible). */
  attentive: boolean;
  connection: ConnectionStatus;
  /** Counts socket-driven changes; `touched` says when each conversation (`c:id`) or visitor (`v:id`)
   * last changed, so a list fetched before that change does not undo it. */
  rev: number;
  touched: Readonly<Record<string, number>>;
  /** The last failed action, shown as a banner. */
  notice: string | null;
}

export const initialState: ConsoleState = {
  conversations: {},
  messages: {},
  loaded: {},
  complete: {},
  visitors: {},
  invitations: {},
  geo: null,
  pending: [],
  unread: {},
  selectedId: null,
  attentive: true,
  connection: "idle",
  rev: 0,
  touched: {},
  notice: null,
};

export type Action =
  /** `since` is the state's `rev` when the request was sent. */
  | { type: "conversations.loaded"; state: ConversationState; conversations: Conversation[]; since: number }
  | { type: "conversation.upserted"; conversation: Conversation }
  /** The server moved it (transfer, back to its queue): this copy replaces the one held (see movedConversation). */
  | { type: "conversation.moved"; conversation: Conversation }
  /** The conversation is gone (its visitor was erased). */
  | { type: "conversation.removed"; conversationId: string }
  | { type: "messages.loaded"; conversationId: string; messages: Message[] }
  | { type: "messages.received"; messages: Message[] }
  /** An operator edited or retracted a message (CHAT-5, `edits.ts`). */
  | { type: "message.updated"; message: Message }
  /** The server sent every message of the conversation up to `lastSeq` (resume.done). */
  | { type: "messages.complete"; conversationId: string; lastSeq: number }
  | { type: "visitors.loaded"; visitors: Visitor[]; since: number; geo?: GeoInfo | null }
  | { type: "visitor.updated"; visitor: Visitor }
  | { type: "visitor.moved"; move: VisitorMove }
  | { type: "visitor.left"; visitorId: string }
  | { type: "invitation.noted"; invitation: InvitationNote }
  | { type: "pending.changed"; pending: PendingMessage[] }
  | { type: "selected"; conversationId: string | null }
  | { type: "attention"; attentive: boolean }
  | { type: "connection"; status: ConnectionStatus }
  | { type: "notice"; notice: string | null }
  | { type: "reset" };

function markRead(unread: ConsoleState["unread"], id: string | null): ConsoleState["unread"] {
  if (!id || !unread[id]) return unread;
  const next = { ...unread };
  delete next[id];
  return next;
}

function receive(state: ConsoleState, incoming: Message[], conversationId?: string): ConsoleState {
  const byConversation = new Map<string, Message[]>();
  for (const message of incoming) {
    const list = byConversation.get(message.conversation_id) ?? [];
    list.push(message);
    byConversation.set(message.conversation_id, list);
  }
  if (conversationId && !byConversation.has(conversationId)) byConversation.set(conversationId, []);
  const messages = { ...state.messages };
  const unread = { ...state.unread };
  for (const [id, list] of byConversation) {
    const known = state.messages[id];
    const fresh = newMessages(known, list);
    messages[id] = mergeMessages(known ?? [], fresh);
    // Only live arrivals count as unread; loading a history is not news.
    const watching = state.attentive && state.selectedId === id;
    const visitorNews = fresh.filter((m) => m.sender_type === "visitor").length;
    if (!conversationId && !watching && visitorNews > 0) unread[id] = (unread[id] ?? 0) + visitorNews;
  }
  const stored = new Set(incoming.map((m) => m.client_msg_id).filter(Boolean));
  const pending = state.pending.some((p) => stored.has(p.client_msg_id))
    ? state.pending.filter((p) => !stored.has(p.client_msg_id))
    : state.pending;
  const loaded =
    conversationId && !state.loaded[conversationId]
      ? { ...state.loaded, [conversationId]: true as const }
      : state.loaded;
  // a history page (after_seq=0) holds every message up to its last one
  const floors = conversationId ? { [conversationId]: maxSeq(byConversation.get(conversationId)) } : {};
  const complete = advance(state.complete, loaded, messages, [...byConversation.keys()], floors);
  return {
    ...state,
    messages,
    loaded,
    complete,
    unread,
    pending,
    conversations: noteMessages(state.conversations, incoming),
  };
}

const maxSeq = (list: readonly Message[] = []) => list.reduce((max, m) => Math.max(max, m.seq), 0);

/** The contiguous seq of each of `ids` that is loaded, raised to `floors` where given. */
function advance(
  complete: ConsoleState["complete"],
  loaded: ConsoleState["loaded"],
  messages: ConsoleState["messages"],
  ids: readonly string[],
  floors: Readonly<Record<string, number>> = {},
): ConsoleState["complete"] {
  let next: Record<string, number> | null = null;
  for (const id of ids) {
    if (!loaded[id]) continue;
    const seq = contiguousSeq(messages[id], Math.max(complete[id] ?? 0, floors[id] ?? 0));
    if (seq === complete[id]) continue;
    next ??= { ...complete };
    next[id] = seq;
  }
  return next ?? complete;
}

/** Loaded conversations holding a message after a hole: the missing range must be fetched. */
export function conversationsWithGap(state: ConsoleState): string[] {
  return Object.keys(state.loaded).filter((id) => lastSeq(state.messages[id]) > (state.complete[id] ?? 0));
}

function touch(state: ConsoleState, key: string): Pick<ConsoleState, "rev" | "touched"> {
  const rev = state.rev + 1;
  return { rev, touched: { ...state.touched, [key]: rev } };
}

const changedSince = (state: ConsoleState, prefix: string, since: number) => (id: string) =>
  (state.touched[prefix + id] ?? 0) > since;

/** How far an invitation got: offered, then shown, then answered (or expired). */
const STEP: Record<InvitationNote["state"], number> = { offered: 0, shown: 1, accepted: 2, closed: 2, expired: 2 };

export function reducer(state: ConsoleState, action: Action): ConsoleState {
  switch (action.type) {
    case "conversations.loaded": {
      const recent = changedSince(state, "c:", action.since);
      const keep = (id: string) => id === state.selectedId || recent(id);
      // one removed while the list was on its way stays removed
      const listed = action.conversations.filter((c) => state.conversations[c.id] || !recent(c.id));
      const conversations = replaceConversationsInState(state.conversations, action.state, listed, keep);
      return conversations === state.conversations ? state : { ...state, conversations };
    }
    case "conversation.upserted": {
      const conversations = upsertConversations(state.conversations, [action.conversation]);
      if (conversations === state.conversations) return state;
      return { ...state, conversations, ...touch(state, `c:${action.conversation.id}`) };
    }
    case "conversation.moved": {
      const conversations = movedConversation(state.conversations, action.conversation);
      if (conversations === state.conversations) return state;
      return { ...state, conversations, ...touch(state, `c:${action.conversation.id}`) };
    }
    case "conversation.removed": {
      const id = action.conversationId;
      const without = <T>(record: Readonly<Record<string, T>>): Readonly<Record<string, T>> => {
        if (!(id in record)) return record;
        const next = { ...record };
        delete next[id];
        return next;
      };
      return {
        ...state,
        conversations: without(state.conversations),
        messages: without(state.messages),
        loaded: without(state.loaded),
        complete: without(state.complete),
        unread: without(state.unread),
        pending: state.pending.filter((p) => p.conversation_id !== id),
        selectedId: state.selectedId === id ? null : state.selectedId,
        ...touch(state, `c:${id}`),
      };
    }
    case "messages.loaded":
      return receive(state, action.messages, action.conversationId);
    case "messages.received":
      return receive(state, action.messages);
    case "message.updated": {
      const id = action.message.conversation_id;
      const known = state.messages[id] ?? [];
      const next = applyMessageUpdate(known, action.message);
      return next === known ? state : { ...state, messages: { ...state.messages, [id]: next } };
    }
    case "messages.complete": {
      const { conversationId: id, lastSeq: seq } = action;
      const complete = advance(state.complete, state.loaded, state.messages, [id], { [id]: seq });
      return complete === state.complete ? state : { ...state, complete };
    }
    case "visitors.loaded":
      return {
        ...state,
        visitors: replaceVisitors(state.visitors, action.visitors, changedSince(state, "v:", action.since)),
        geo: action.geo === undefined ? state.geo : action.geo,
      };
    case "visitor.updated": {
      const visitors = upsertVisitor(state.visitors, action.visitor);
      if (visitors === state.visitors) return state;
      return { ...state, visitors, ...touch(state, `v:${action.visitor.visitor_id}`) };
    }
    case "visitor.moved": {
      const visitors = moveVisitor(state.visitors, action.move);
      if (visitors === state.visitors) return state;
      return { ...state, visitors, ...touch(state, `v:${action.move.visitor_id}`) };
    }
    case "visitor.left": {
      const visitors = removeVisitor(state.visitors, action.visitorId);
      return { ...state, visitors, ...touch(state, `v:${action.visitorId}`) };
    }
    case "invitation.noted": {
      const note = action.invitation;
      const known = state.invitations[note.visitor_id];
      // a later invitation's news replaces an earlier one's; an older one's, or an earlier step (the answer
      // to the call arriving after the socket said it was shown), does not come back
      if (known && known.invitation_id > note.invitation_id) return state;
      if (known?.invitation_id === note.invitation_id && STEP[known.state] >= STEP[note.state]) return state;
      return { ...state, invitations: { ...state.invitations, [note.visitor_id]: note } };
    }
    case "pending.changed":
      return { ...state, pending: action.pending };
    case "selected":
      return {
        ...state,
        selectedId: action.conversationId,
        unread: state.attentive ? markRead(state.unread, action.conversationId) : state.unread,
      };
    case "attention":
      return {
        ...state,
        attentive: action.attentive,
        unread: action.attentive ? markRead(state.unread, state.selectedId) : state.unread,
      };
    case "connection":
      return state.connection === action.status ? state : { ...state, connection: action.status };
    case "notice":
      return { ...state, notice: action.notice };
    case "reset":
      return initialState;
  }
}

/** The number in the tab title (OPS-5): waiting conversations plus unread visitor messages. */
export function attentionCount(state: ConsoleState): number {
  // Unread messages of waiting conversations are already counted by the waiting conversation itself.
  const unread = Object.entries(state.unread)
    .filter(([id]) => state.conversations[id]?.state === "active")
    .reduce((sum, [, n]) => sum + n, 0);
  return waitingList(state.conversations).length + unread;
}

export interface Store {
  getState(): ConsoleState;
  dispatch(action: Action): void;
  subscribe(listener: () => void): () => void;
}

export function createStore(state: ConsoleState = initialState): Store {
  let current = state;
  const listeners = new Set<() => void>();
  return {
    getState: () => current,
    dispatch(action) {
      const next = reducer(current, action);
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
