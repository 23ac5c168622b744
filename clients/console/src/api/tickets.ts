/** Typed calls to the tickets of docs/api.md (Tickets, OFF-1..3). */

import type { ApiClient } from "./client";

export type TicketState = "open" | "answered" | "closed";
export const TICKET_STATES: TicketState[] = ["open", "answered", "closed"];

export interface Ticket {
  id: string;
  state: TicketState;
  origin: "offline_form" | "chat";
  name: string | null;
  email: string;
  subject: string;
  queue_id: string | null;
  conversation_id: string | null;
  created_at: string;
  updated_at: string;
  /** False: SMTP is not configured; replies stay queued. */
  email_enabled: boolean;
}

export interface TicketMessage {
  id: string;
  sender_type: "visitor" | "operator";
  sender_name: string | null;
  channel: "web" | "email" | "chat";
  text: string;
  created_at: string;
  email_status: "queued" | "sent" | null;
}

export interface TicketDetail extends Ticket {
  messages: TicketMessage[];
}

const enc = encodeURIComponent;
const BASE = "/api/v1/tickets";

export function listTickets(api: ApiClient, state: TicketState): Promise<Ticket[]> {
  return api.get<{ tickets: Ticket[] }>(`${BASE}?state=${enc(state)}`).then((body) => body.tickets);
}

export function getTicket(api: ApiClient, id: string): Promise<TicketDetail> {
  return api.get<TicketDetail>(`${BASE}/${enc(id)}`);
}

export function replyToTicket(api: ApiClient, id: string, text: string): Promise<TicketMessage> {
  return api.post<TicketMessage>(`${BASE}/${enc(id)}/replies`, { text });
}

export function closeTicket(api: ApiClient, id: string): Promise<Ticket> {
  return api.post<Ticket>(`${BASE}/${enc(id)}/close`);
}
