/** Typed calls to the tickets of docs/api.md (Tickets, OFF-1..3). */

import type { ApiClient } from "./client";
import { call, type Out } from "./typed";

/** `email_enabled` false: SMTP is not configured; replies stay queued. */
export type Ticket = Out<"TicketOut">;
export type TicketState = Ticket["state"];
export const TICKET_STATES: TicketState[] = ["open", "answered", "closed"];
export type TicketMessage = Out<"TicketMessageOut">;
export type TicketDetail = Out<"TicketDetail">;

const ticket = (id: string) => ({ path: { ticket_id: id } });

export function listTickets(api: ApiClient, state: TicketState): Promise<Ticket[]> {
  return call(api, "get", "/api/v1/tickets", { query: { state } }).then((body) => body.tickets);
}

export function getTicket(api: ApiClient, id: string): Promise<TicketDetail> {
  return call(api, "get", "/api/v1/tickets/{ticket_id}", ticket(id));
}

export function replyToTicket(api: ApiClient, id: string, text: string): Promise<TicketMessage> {
  return call(api, "post", "/api/v1/tickets/{ticket_id}/replies", { ...ticket(id), body: { text } });
}

export function closeTicket(api: ApiClient, id: string): Promise<Ticket> {
  return call(api, "post", "/api/v1/tickets/{ticket_id}/close", ticket(id));
}
