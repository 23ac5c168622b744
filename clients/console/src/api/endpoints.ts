/** Typed calls to the operator endpoints of docs/api.md. */

import type {
  Conversation,
  ConversationState,
  InvitationOut,
  LiveVisitorList,
  Message,
  Site,
  TrackingSettings,
  VisitorDetail,
} from "../types";
import type { ApiClient } from "./client";

export const MESSAGE_PAGE = 200;

export function listConversations(api: ApiClient, state: ConversationState): Promise<Conversation[]> {
  return api
    .get<{ conversations: Conversation[] }>(`/api/v1/conversations?state=${state}`)
    .then((body) => body.conversations);
}

export function getConversation(api: ApiClient, id: string): Promise<Conversation> {
  return api.get<Conversation>(`/api/v1/conversations/${encodeURIComponent(id)}`);
}

export function acceptConversation(api: ApiClient, id: string): Promise<Conversation> {
  return api.post<Conversation>(`/api/v1/conversations/${encodeURIComponent(id)}/accept`);
}

export function closeConversation(api: ApiClient, id: string): Promise<Conversation> {
  return api.post<Conversation>(`/api/v1/conversations/${encodeURIComponent(id)}/close`);
}

/** Every message after `afterSeq`, page by page, ordered by seq. */
export async function listMessages(api: ApiClient, id: string, afterSeq = 0): Promise<Message[]> {
  const all: Message[] = [];
  let after = afterSeq;
  for (;;) {
    const path = `/api/v1/conversations/${encodeURIComponent(id)}/messages?after_seq=${after}&limit=${MESSAGE_PAGE}`;
    const { messages } = await api.get<{ messages: Message[] }>(path);
    all.push(...messages);
    if (messages.length < MESSAGE_PAGE) return all;
    after = messages[messages.length - 1].seq;
  }
}

export function liveVisitors(api: ApiClient): Promise<LiveVisitorList> {
  return api
    .get<Partial<LiveVisitorList>>("/api/v1/visitors/live")
    .then((body) => ({ visitors: body.visitors ?? [], geo: body.geo ?? null }));
}

export function visitorDetail(api: ApiClient, visitorId: string): Promise<VisitorDetail> {
  return api.get<VisitorDetail>(`/api/v1/visitors/${encodeURIComponent(visitorId)}`);
}

/** Calls a visitor now: an invitation with `text` (the default greeting when null), or the open chat window. */
export function inviteVisitor(
  api: ApiClient,
  visitorId: string,
  text: string | null,
  autoOpen: boolean,
): Promise<InvitationOut> {
  const body = text ? { text, auto_open: autoOpen } : { auto_open: autoOpen };
  return api.post<InvitationOut>(`/api/v1/visitors/${encodeURIComponent(visitorId)}/invitations`, body);
}

export function listSites(api: ApiClient): Promise<Site[]> {
  return api.get<{ sites: Site[] }>("/api/v1/sites").then((body) => body.sites);
}

export function trackingSettings(api: ApiClient, siteId: string): Promise<TrackingSettings> {
  return api.get<TrackingSettings>(`/api/v1/track/settings/${encodeURIComponent(siteId)}`);
}

export function saveTrackingSettings(
  api: ApiClient,
  siteId: string,
  settings: TrackingSettings,
): Promise<TrackingSettings> {
  return api.request<TrackingSettings>("PUT", `/api/v1/track/settings/${encodeURIComponent(siteId)}`, {
    body: settings,
  });
}
