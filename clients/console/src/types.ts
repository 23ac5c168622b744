/** Shapes of the public API (docs/api.md). Timestamps are ISO 8601 strings with a time zone. */

import type { Presence } from "./api/presence";
import type { Out, Schema } from "./api/typed";

export type Role = "operator" | "supervisor" | "admin";

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  account_id: string;
}

export interface AccountRef {
  id: string;
  name: string;
  role: Role;
}

/** `POST /api/v1/auth/login` and `/refresh`. */
export type TokenResponse = Schema<"TokenPair">;

export type ConversationState = "waiting" | "active" | "closed";

export interface Conversation {
  id: string;
  account_id: string;
  site_id: string;
  visitor_id: string;
  /** "web" for a visitor's chat. */
  channel: string;
  state: ConversationState;
  assigned_user_id: string | null;
  assigned_user_name: string | null;
  created_at: string;
  accepted_at: string | null;
  closed_at: string | null;
  last_seq: number;
  last_message_at: string | null;
  /** Started by accepting an invitation: which one, and its rule and variant (null: an operator's call). */
  invitation_id?: string | null;
  rule_id?: string | null;
  variant?: string | null;
  /** Routing: the queue it waits in, and the operator it is offered to now (until `offer_expires_at`). */
  queue_id?: string | null;
  offered_user_id?: string | null;
  offer_expires_at?: string | null;
  /** The visitor left while it waited (shown grey, not red); why a closed one ended, and whether nobody answered. */
  visitor_left_at?: string | null;
  closed_reason?: string | null;
  missed?: boolean;
  /** The operators in it besides the visitor (CHAT-6, OPS-7). */
  participants?: Participant[];
}

export interface Participant {
  user_id: string;
  name: string | null;
  role: "assigned" | "invited" | "watching";
}

/** One queue now (`GET /api/v1/queues/summary`, `queue.summary` frames). */
export interface QueueSummary {
  queue_id: string;
  name: string;
  open_now: boolean;
  waiting: number;
  longest_wait_seconds: number;
  online_operators: number;
  free_slots: number;
}

/** A rule's `notify_operators` fired for a visitor: mark them in the live list (and beep if `sound`). */
export interface VisitorHighlight {
  visitor_id: string;
  site_id: string;
  rule_id: string;
  rule_name: string;
  highlight: boolean;
  sound: boolean;
  current_url: string | null;
  at: string;
  /** How long to mark the visitor; absent: the console's default (HIGHLIGHT_SECONDS). */
  duration_s?: number | null;
}

/** Where an invitation to a visitor is (`invitation.state` frames). */
export type InvitationState = "offered" | "shown" | "accepted" | "closed" | "expired";

export interface InvitationNote {
  invitation_id: string;
  visitor_id: string;
  rule_id: string | null;
  variant: string | null;
  operator_id: string | null;
  state: InvitationState;
  conversation_id: string | null;
}

/** `POST /api/v1/visitors/{visitor_id}/invitations`: an operator calls a visitor. */
export interface InvitationOut {
  invitation_id: string;
  visitor_id: string;
  site_id: string;
  text: string;
  auto_open: boolean;
  expires_at: string;
}

export type SenderType = "visitor" | "operator" | "system";

/** A file a message carries (CHAT-10): fetched with the operator's token (`api/attachments.ts`). */
export interface Attachment {
  id: string;
  /** Sanitized by the server; shown as text. */
  name: string;
  content_type: "image/png" | "image/jpeg" | "image/gif" | "image/webp" | "application/pdf";
  size: number;
}

export interface Message {
  id: string;
  conversation_id: string;
  seq: number;
  client_msg_id: string | null;
  sender_type: SenderType;
  sender_id: string | null;
  sender_name: string | null;
  text: string;
  created_at: string;
  /** CHAT-5 (`state/edits.ts`): 0 as written, +1 per edit or retraction; retracted: `text` is empty. */
  revision?: number;
  edited_at?: string | null;
  retracted_at?: string | null;
  /** The seq of the earlier message it quotes. */
  quote_seq?: number | null;
  /** The file it carries (CHAT-10); its `text` is the file's name. */
  attachment?: Attachment | null;
}

export interface GeoLocation {
  country_code: string | null;
  country: string | null;
  region: string | null;
  city: string | null;
  time_zone: string | null;
}

/** `device_class`: "desktop", "mobile", "tablet" or "other" (the served document says only string). */
export type Device = Out<"TrackingDevice">;

export type ArrivalKind = "direct" | "search" | "social" | "campaign" | "referral" | "internal";

export interface ArrivedVia {
  kind: ArrivalKind | null;
  source: string | null;
  keywords: string | null;
}

export interface Utm {
  source: string | null;
  medium: string | null;
  campaign: string | null;
  term: string | null;
  content: string | null;
}

export interface Contact {
  contact_id: string;
  user_id: string | null;
  email: string | null;
  name: string | null;
  phone: string | null;
  verified: boolean;
}

export type AttributeValue = string | number | boolean | null;

export type ChatState = "none" | "waiting" | "active";

/** Where a listed visitor went (`visitor.moves`): the row moves; the rest waits for the stored record. */
export interface VisitorMove {
  visitor_id: string;
  site_id: string;
  current_url: string;
  current_title: string;
  page_started_at: string;
  last_seen_at: string;
  /** Page views of the batch (added to the visit's count until the record says). */
  pages_added: number;
}

/** One visitor on the site now (`GET /api/v1/visitors/live`, `visitor.updated` frames). */
export interface LiveVisitor {
  visitor_id: string;
  site_id: string;
  visit_id: string | null;
  current_url: string | null;
  current_title: string | null;
  /** Section of the current page; null when no pattern matches. */
  section: string | null;
  first_seen_at: string;
  last_seen_at: string;
  visit_started_at: string | null;
  page_started_at: string | null;
  /** Pages of this visit. */
  pages_viewed: number;
  visit_count: number;
  returning: boolean;
  ip: string | null;
  location: GeoLocation | null;
  device: Device | null;
  referrer: string | null;
  arrived_via: ArrivedVia | null;
  utm: Utm | null;
  contact: Contact | null;
  attributes: Record<string, AttributeValue>;
  chat_state: ChatState;
  /** The customer segment the visitor is in now (docs/api.md, Segments); null or absent: none. */
  segment_id?: string | null;
  segment_name?: string | null;
  /** Put on the visitor by rules (`tag_visitor`), sorted; absent: none. */
  tags?: string[];
}

/** The console's name for a live visitor record. */
export type Visitor = LiveVisitor;

/** Attribution of the geolocation database, which its licence may require to be shown. */
export interface GeoInfo {
  database: string | null;
  attribution: string | null;
  attribution_url: string | null;
}

export interface LiveVisitorList {
  visitors: LiveVisitor[];
  geo: GeoInfo | null;
}

export interface PageView {
  page_id: string | null;
  url: string;
  title: string | null;
  section: string | null;
  viewed_at: string;
  time_spent_seconds: number | null;
}

export interface Visit {
  visit_id: string;
  started_at: string;
  last_activity_at: string;
  landing_url: string | null;
  referrer: string | null;
  arrived_via: ArrivedVia | null;
  utm: Utm | null;
  page_count: number;
  ip: string | null;
  location: GeoLocation | null;
  device: Device | null;
  /** In the order they were viewed. */
  pages: PageView[];
}

export interface ProductView {
  sku: string | null;
  name: string;
  url: string | null;
  price: number | null;
  currency: string | null;
  category: string | null;
  viewed_at: string;
}

export interface SearchView {
  query: string;
  viewed_at: string;
}

type LiveFields =
  | "visit_id"
  | "current_url"
  | "current_title"
  | "section"
  | "visit_started_at"
  | "page_started_at"
  | "pages_viewed"
  | "chat_state";

/** `GET /api/v1/visitors/{id}`: the live record (live fields null when the visitor is not on the site) and history. */
export type VisitorDetail = Omit<LiveVisitor, LiveFields> & {
  [K in LiveFields]: LiveVisitor[K] | null;
} & {
  is_robot: boolean;
  robot_reason: string | null;
  /** Most recent first, at most 20. */
  visits: Visit[];
  /** Most recent first, at most 50. */
  products: ProductView[];
  /** Most recent first, at most 50. */
  searches: SearchView[];
};

export interface Site {
  id: string;
  name: string;
}

export interface SectionPattern {
  name: string;
  pattern: string;
}

export interface ProductPattern {
  pattern: string;
}

export interface SearchPattern {
  pattern: string;
  param: string;
}

/** `GET/PUT /api/v1/track/settings/{site_id}`. */
export interface TrackingSettings {
  sections: SectionPattern[];
  products: ProductPattern[];
  searches: SearchPattern[];
  /** Page views and visits older than this are deleted; null keeps them. */
  retention_days: number | null;
}

/** Frames the server sends on /ws/operator. */
export interface TypingFrame {
  type: "conversation.typing";
  conversation_id: string;
  from: "visitor" | "operator";
  typing: boolean;
  draft?: string;
  visitor_id?: string;
  user_id?: string;
  name?: string | null;
}

export interface ReadFrame {
  type: "conversation.read";
  conversation_id: string;
  reader: "visitor" | "operator";
  reader_id: string;
  seq: number;
}

/** An internal note inside a conversation (OPS-5): operators only, never shown to the visitor. */
export interface ConversationNote {
  id: string;
  conversation_id: string;
  author_id: string;
  author_name: string | null;
  text: string;
  created_at: string;
}

export type ServerFrame =
  | { type: "message.created"; message: Message }
  /** A colleague wrote an internal note in a conversation the operator sees (OPS-5). */
  | { type: "conversation.note"; note: ConversationNote }
  /** An operator edited or retracted a message (CHAT-5): the newest `revision` wins. */
  | { type: "message.updated"; message: Message }
  | { type: "message.ack"; client_msg_id: string; message: Message }
  | { type: "conversation.updated"; conversation: Conversation }
  | { type: "conversation.offered"; user_id: string; expires_at: string; conversation: Conversation }
  | {
      type: "conversation.transferred";
      conversation: Conversation;
      from_user_id: string | null;
      to_user_id: string | null;
      to_queue_id: string | null;
      note: string | null;
    }
  | {
      type: "conversation.invited";
      conversation: Conversation;
      /** The operator invited. */
      user_id?: string;
      by_user_id: string | null;
      by_name?: string | null;
      note: string | null;
    }
  | { type: "presence.updated"; presence: Presence }
  | { type: "queue.summary"; queues: QueueSummary[] }
  | ({ type: "visitor.highlight" } & VisitorHighlight)
  | { type: "conversation.removed"; conversation_id: string }
  | { type: "visitor.updated"; visitor: LiveVisitor }
  /** The gateway accepted page views: each visitor's newest page, ahead of the stored record (docs/api.md). */
  | { type: "visitor.moves"; moves: VisitorMove[] }
  | { type: "visitor.left"; visitor_id: string }
  | ({ type: "invitation.state" } & InvitationNote)
  | { type: "resume.done"; conversation_id: string; last_seq: number }
  /** The visitor types (with their draft: sneak-peek), or an operator does; never stored. */
  | TypingFrame
  /** A reader's mark moved: the messages up to `seq` were seen. */
  | ReadFrame
  | { type: "auth.ok"; expires_at: number }
  /** The server may have missed realtime frames: resume everything held and refetch the lists. */
  | { type: "resync"; reason?: string }
  | { type: "pong" }
  | {
      type: "error";
      code: string;
      message: string;
      client_msg_id?: string | null;
      /** Worth sending again (`service_unavailable`, `rate_limited`); `internal_error` is not. */
      retryable?: boolean;
      /** Seconds to wait first (`rate_limited`). */
      retry_after?: number;
    };

/** Frames the console sends. */
export type ClientFrame =
  | { type: "message.send"; conversation_id: string; client_msg_id: string; text: string; quote_seq?: number }
  | { type: "auth"; token: string }
  | { type: "resume"; conversation_id: string; after_seq: number }
  | { type: "auth.refresh"; token: string }
  | { type: "ping" }
  /** Typing indicator (CHAT-4) and read marks (EMB-8): `realtime/typing.ts`. */
  | { type: "typing"; conversation_id: string; typing: boolean }
  | { type: "read"; conversation_id: string; seq: number };
