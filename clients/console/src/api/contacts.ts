/**
 * The customer card (CHAT-8), internal notes (OPS-5), the history of closed chats (OPS-3) and the pre-chat form
 * (EMB-5): docs/api.md "Contacts, notes and history".
 */

import type { ConversationNote } from "../types";
import type { ApiClient } from "./client";
import { call, urlOf, type Out, type Schema } from "./typed";

export type PrechatFields = Out<"PrechatFields">;
export type FieldMode = PrechatFields["name"];
/** `identified`: the site identified the person (`widget/identify`); otherwise typed by the visitor, not verified. */
export type ContactInfo = Out<"ContactOut">;
export type ConversationSummary = Schema<"ConversationSummary">;
export type ContactCard = Out<"ContactCard">;
export type TranscriptMessage = Out<"TranscriptMessage">;
export type Transcript = Out<"Transcript">;
export type HistoryPage = Out<"HistoryPage">;

export interface HistoryQuery {
  visitor?: string;
  operator_id?: string;
  since?: string;
  until?: string;
  q?: string;
  offset?: number;
  limit?: number;
}

export const MAX_NOTE_BYTES = 4096;
export const MAX_QUESTION_CHARS = 200;

const conversation = (conversationId: string) => ({ path: { conversation_id: conversationId } });

export function contactCard(api: ApiClient, conversationId: string): Promise<ContactCard> {
  return call(api, "get", "/api/v1/conversations/{conversation_id}/contact", conversation(conversationId));
}

export async function conversationNotes(api: ApiClient, conversationId: string): Promise<ConversationNote[]> {
  return (await call(api, "get", "/api/v1/conversations/{conversation_id}/notes", conversation(conversationId))).notes;
}

export function addNote(api: ApiClient, conversationId: string, text: string): Promise<ConversationNote> {
  return call(api, "post", "/api/v1/conversations/{conversation_id}/notes", {
    ...conversation(conversationId),
    body: { text },
  });
}

/** A history search's fields, trimmed, the empty ones left out. */
function historyFilter(query: HistoryQuery): HistoryQuery {
  const kept: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(query) as [string, string | number | undefined | null][]) {
    if (value === undefined || value === null) continue;
    const text = String(value).trim();
    if (text !== "") kept[key] = typeof value === "number" ? value : text;
  }
  return kept;
}

/** The query string of a history search: empty fields left out. */
export function historyParams(query: HistoryQuery): string {
  return urlOf("", undefined, { ...historyFilter(query) });
}

export function searchHistory(api: ApiClient, query: HistoryQuery): Promise<HistoryPage> {
  return call(api, "get", "/api/v1/history", { query: historyFilter(query) });
}

export function transcript(api: ApiClient, conversationId: string): Promise<Transcript> {
  return call(api, "get", "/api/v1/history/{conversation_id}", conversation(conversationId));
}

const site = (siteId: string) => ({ query: { site_id: siteId } });

export async function prechatForm(api: ApiClient, siteId: string): Promise<PrechatFields> {
  return (await call(api, "get", "/api/v1/prechat-forms", site(siteId))).fields;
}

export async function savePrechatForm(api: ApiClient, siteId: string, fields: PrechatFields): Promise<PrechatFields> {
  const body = { ...fields, question_label: fields.question_label?.trim() || null };
  return (await call(api, "put", "/api/v1/prechat-forms", { ...site(siteId), body })).fields;
}

/** What is wrong with a form before it is sent (the server checks the same), or null. */
export function prechatProblem(fields: PrechatFields): string | null {
  const label = fields.question_label?.trim() ?? "";
  if (fields.question !== "off" && !label) return "Write the question to ask.";
  if (label.length > MAX_QUESTION_CHARS) return `The question has at most ${MAX_QUESTION_CHARS} characters.`;
  return null;
}

/** A note's size as the server counts it (UTF-8 bytes). */
export function noteBytes(text: string): number {
  return new TextEncoder().encode(text).length;
}
