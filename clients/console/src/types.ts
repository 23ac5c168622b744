/** Shapes of the public API (docs/api.md). Timestamps are ISO 8601 strings with a time zone. */

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

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  token_type: "bearer";
  expires_in: number;
  user: User;
  accounts: AccountRef[];
}

export type ConversationState = "waiting" | "active" | "closed";

export interface Conversation {
  id: string;
  account_id: string;
  site_id: string;
  visitor_id: string;
  channel: "web";
  state: ConversationState;
  assigned_user_id: string | null;
  assigned_user_name: string | null;
  created_at: string;
  accepted_at: string | null;
  closed_at: string | null;
  last_seq: number;
  last_message_at: string | null;
}

export type SenderType = "visitor" | "operator" | "system";

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
}

export interface Visitor {
  visitor_id: string;
  site_id: string;
  current_url: string | null;
  current_title: string | null;
  first_seen_at: string;
  last_seen_at: string;
  page_started_at: string | null;
  pages_viewed: number;
  visit_count: number;
  returning: boolean;
}

/** Frames the server sends on /ws/operator. */
export type ServerFrame =
  | { type: "message.created"; message: Message }
  | { type: "message.ack"; client_msg_id: string; message: Message }
  | { type: "conversation.updated"; conversation: Conversation }
  | { type: "visitor.updated"; visitor: Visitor }
  | { type: "visitor.left"; visitor_id: string }
  | { type: "resume.done"; conversation_id: string; last_seq: number }
  | { type: "auth.ok"; expires_at: number }
  | { type: "pong" }
  | { type: "error"; code: string; message: string; client_msg_id?: string | null };

/** Frames the console sends. */
export type ClientFrame =
  | { type: "message.send"; conversation_id: string; client_msg_id: string; text: string }
  | { type: "resume"; conversation_id: string; after_seq: number }
  | { type: "auth.refresh"; token: string }
  | { type: "ping" };
