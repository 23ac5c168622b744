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
import { call, type Out } from "./typed";

export const MESSAGE_PAGE = 200;

const conversation = (id: string) => ({ path: { conversation_id: id } });

/**
 * A conversation as the console shows it: a visitor's chat on a site. The document allows no site and no visitor
 * (a group conversation); every other field is checked against `Conversation`.
 */
export function direct(c: Out<"ConversationOut">): Conversation {
  return c as Omit<typeof c, "site_id" | "visitor_id"> & { site_id: string; visitor_id: string };
}

export function listConversations(api: ApiClient, state: ConversationState): Promise<Conversation[]> {
  return call(api, "get", "/api/v1/conversations", { query: { state } }).then((body) =>
    body.conversations.map(direct),
  );
}

export function getConversation(api: ApiClient, id: string): Promise<Conversation> {
  return call(api, "get", "/api/v1/conversations/{conversation_id}", conversation(id)).then(direct);
}

export function acceptConversation(api: ApiClient, id: string): Promise<Conversation> {
  return call(api, "post", "/api/v1/conversations/{conversation_id}/accept", conversation(id)).then(direct);
}

export function closeConversation(api: ApiClient, id: string): Promise<Conversation> {
  return call(api, "post", "/api/v1/conversations/{conversation_id}/close", conversation(id)).then(direct);
}

/** Every message after `afterSeq`, page by page, ordered by seq. */
export async function listMessages(api: ApiClient, id: string, afterSeq = 0): Promise<Message[]> {
  const all: Message[] = [];
  let after = afterSeq;
  for (;;) {
    const { messages } = await call(api, "get", "/api/v1/conversations/{conversation_id}/messages", {
      ...conversation(id),
      query: { after_seq: after, limit: MESSAGE_PAGE },
    });
    all.push(...messages);
    if (messages.length < MESSAGE_PAGE) return all;
    after = messages[messages.length - 1].seq;
  }
}

export function liveVisitors(api: ApiClient): Promise<LiveVisitorList> {
  return call(api, "get", "/api/v1/visitors/live").then((body) => ({
    visitors: body.visitors ?? [],
    geo: body.geo ?? null,
  }));
}

export function visitorDetail(api: ApiClient, visitorId: string): Promise<VisitorDetail> {
  return call(api, "get", "/api/v1/visitors/{visitor_id}", { path: { visitor_id: visitorId } });
}

/** Calls a visitor now: an invitation with `text` (the default greeting when null), or the open chat window. */
export function inviteVisitor(
  api: ApiClient,
  visitorId: string,
  text: string | null,
  autoOpen: boolean,
): Promise<InvitationOut> {
  const body = text ? { text, auto_open: autoOpen } : { auto_open: autoOpen };
  return call(api, "post", "/api/v1/visitors/{visitor_id}/invitations", { path: { visitor_id: visitorId }, body });
}

export function listSites(api: ApiClient): Promise<Site[]> {
  return call(api, "get", "/api/v1/sites").then((body) => body.sites);
}

const trackingSite = (siteId: string) => ({ path: { site_id: siteId } });

export function trackingSettings(api: ApiClient, siteId: string): Promise<TrackingSettings> {
  return call(api, "get", "/api/v1/track/settings/{site_id}", trackingSite(siteId));
}

export function saveTrackingSettings(
  api: ApiClient,
  siteId: string,
  settings: TrackingSettings,
): Promise<TrackingSettings> {
  return call(api, "put", "/api/v1/track/settings/{site_id}", { ...trackingSite(siteId), body: settings });
}
