/** Typed calls to the administration endpoints of docs/api.md: sites (origins, domains, secret) and members. */

import type { Role, Site } from "../types";
import type { ApiClient } from "./client";

/** `Site` of docs/api.md as its admins see it (the widget look, privacy and blocking are not edited here). */
export interface SiteDetail extends Site {
  account_id: string;
  site_key: string;
  domains: string[];
  allowed_origins: string[];
  /** The tag the widget's loader needs, made by the gateway with its public URL. */
  embed_snippet: string;
  /** Only in the answer to the creation and to the rotation of the secret; null everywhere else. */
  secret: string | null;
}

export interface Member {
  id: string;
  email: string;
  name: string;
  role: Role;
  account_id: string;
  /** Their photo (EMB-3), on the gateway; null: none. */
  photo_url?: string | null;
}

export interface Invitation {
  id: string;
  email: string;
  role: Role;
  state: "pending" | "accepted" | "declined" | "withdrawn";
  created_at: string;
  expires_at: string;
}

export interface Team {
  users: Member[];
  /** Pending invitations. */
  invitations: Invitation[];
}

export interface InviteRequest {
  email: string;
  name: string;
  role: Role;
  /** The password of a new user (a person who has a user already keeps theirs). */
  password: string;
}

const sitePath = (siteId: string) => `/api/v1/sites/${encodeURIComponent(siteId)}`;

export function listSiteDetails(api: ApiClient): Promise<SiteDetail[]> {
  return api.get<{ sites: SiteDetail[] }>("/api/v1/sites").then((body) => body.sites);
}

export function addOrigin(api: ApiClient, siteId: string, origin: string): Promise<SiteDetail> {
  return api.post<SiteDetail>(`${sitePath(siteId)}/origins`, { origin });
}

/** The origin goes in the body: it cannot be a path segment. */
export function removeOrigin(api: ApiClient, siteId: string, origin: string): Promise<SiteDetail> {
  return api.request<SiteDetail>("DELETE", `${sitePath(siteId)}/origins`, { body: { origin } });
}

export function addDomain(api: ApiClient, siteId: string, domain: string): Promise<SiteDetail> {
  return api.post<SiteDetail>(`${sitePath(siteId)}/domains`, { domain });
}

export function removeDomain(api: ApiClient, siteId: string, domain: string): Promise<SiteDetail> {
  return api.request<SiteDetail>("DELETE", `${sitePath(siteId)}/domains/${encodeURIComponent(domain)}`);
}

/** A new site secret: the answer is the only time it is shown. */
export function rotateSecret(api: ApiClient, siteId: string): Promise<SiteDetail> {
  return api.post<SiteDetail>(`${sitePath(siteId)}/secret`);
}

export function listTeam(api: ApiClient): Promise<Team> {
  return api
    .get<Partial<Team>>("/api/v1/users")
    .then((body) => ({ users: body.users ?? [], invitations: body.invitations ?? [] }));
}

export function invite(api: ApiClient, request: InviteRequest): Promise<Invitation> {
  return api.post<Invitation>("/api/v1/users", request);
}

export function changeRole(api: ApiClient, userId: string, role: Role): Promise<Member> {
  return api.request<Member>("PATCH", `/api/v1/users/${encodeURIComponent(userId)}`, { body: { role } });
}

export function removeMember(api: ApiClient, userId: string): Promise<void> {
  return api.request<unknown>("DELETE", `/api/v1/users/${encodeURIComponent(userId)}`).then(() => undefined);
}

export function withdrawInvitation(api: ApiClient, invitationId: string): Promise<void> {
  return api
    .request<unknown>("DELETE", `/api/v1/account-invitations/${encodeURIComponent(invitationId)}`)
    .then(() => undefined);
}
