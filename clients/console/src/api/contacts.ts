/**
 * The customer card (CHAT-8), internal notes (OPS-5), the history of closed chats (OPS-3) and the pre-chat form
 * (EMB-5): docs/api.md "Contacts, notes and history".
 */

import type { ApiClient } from "./client";
import type { ConversationNote } from "../types";

export type FieldMode = "off" | "optional" | "required";

export interface PrechatFields {
  name: FieldMode;
  email: FieldMode;
  phone: FieldMode;
  question: FieldMode;
  question_label: string | null;
}

export interface ContactInfo {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  /** The site identified the person (`widget/identify`); otherwise typed by the visitor, not verified. */
  identified: boolean;
  created_at: string;
}

export interface ConversationSummary {
  id: string;
  state: string;
  created_at: string;
  closed_at: string | null;
  operator_name: string | null;
  visitor_name?: string | null;
  visitor_email?: string | null;
  first_line: string | null;
}

export interface ContactCard {
  contact: ContactInfo | null;
  prechat: { question: string | null; answer: string | null; answered_at: string } | null;
  earlier: ConversationSummary[];
}

export interface TranscriptMessage {
  seq: number;
  sender_type: string;
  sender_name: string | null;
  text: string;
  created_at: string;
}

export interface Transcript {
  conversation: ConversationSummary;
  messages: TranscriptMessage[];
  notes: ConversationNote[];
}

export interface HistoryQuery {
  visitor?: string;
  operator_id?: string;
  since?: string;
  until?: string;
  q?: string;
  offset?: number;
  limit?: number;
}

export interface HistoryPage {
  conversations: ConversationSummary[];
  total: number;
  offset: number;
  limit: number;
}

const id = encodeURIComponent;
export const MAX_NOTE_BYTES = 4096;
export const MAX_QUESTION_CHARS = 200;

export function contactCard(api: ApiClient, conversationId: string): Promise<ContactCard> {
  return api.get<ContactCard>(`/api/v1/conversations/${id(conversationId)}/contact`);
}

export async function conversationNotes(api: ApiClient, conversationId: string): Promise<ConversationNote[]> {
  return (await api.get<{ notes: ConversationNote[] }>(`/api/v1/conversations/${id(conversationId)}/notes`)).notes;
}

export function addNote(api: ApiClient, conversationId: string, text: string): Promise<ConversationNote> {
  return api.post<ConversationNote>(`/api/v1/conversations/${id(conversationId)}/notes`, { text });
}

/** The query string of a history search: empty fields left out. */
export function historyParams(query: HistoryQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && String(value).trim() !== "") params.set(key, String(value).trim());
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function searchHistory(api: ApiClient, query: HistoryQuery): Promise<HistoryPage> {
  return api.get<HistoryPage>(`/api/v1/history${historyParams(query)}`);
}

export function transcript(api: ApiClient, conversationId: string): Promise<Transcript> {
  return api.get<Transcript>(`/api/v1/history/${id(conversationId)}`);
}

export async function prechatForm(api: ApiClient, siteId: string): Promise<PrechatFields> {
  return (await api.get<{ fields: PrechatFields }>(`/api/v1/prechat-forms?site_id=${id(siteId)}`)).fields;
}

export async function savePrechatForm(api: ApiClient, siteId: string, fields: PrechatFields): Promise<PrechatFields> {
  const body = { ...fields, question_label: fields.question_label?.trim() || null };
  const saved = await api.request<{ fields: PrechatFields }>("PUT", `/api/v1/prechat-forms?site_id=${id(siteId)}`, {
    body,
  });
  return saved.fields;
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
