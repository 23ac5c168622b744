/** Typed calls to the administration endpoints of docs/api.md: sites (origins, domains, secret) and members. */

import type { Role } from "../types";
import type { ApiClient } from "./client";
import { call, type Out, type Schema } from "./typed";

/** `Site` of docs/api.md as its admins see it (the widget look, privacy and blocking are not edited here);
 * `embed_snippet`: the loader's tag, made by the gateway with its public URL; `secret`: only in the answer to the
 * creation and to the rotation of the secret, null everywhere else. */
export type SiteDetail = Pick<
  Out<"SiteOut">,
  "id" | "name" | "account_id" | "site_key" | "domains" | "allowed_origins" | "embed_snippet" | "secret"
>;
/** A member; `photo_url`: their photo (EMB-3), on the gateway (null: none). */
export type Member = Schema<"UserOut">;
export type Invitation = Out<"services__gateway__api__schemas__InvitationOut">;
/** The members and the pending invitations. */
export interface Team {
  users: Member[];
  invitations: Invitation[];
}
/** `password`: the password of a new user (a person who has a user already keeps theirs). */
export type InviteRequest = Schema<"CreateUser">;

const site = (siteId: string) => ({ site_id: siteId });

export function listSiteDetails(api: ApiClient): Promise<SiteDetail[]> {
  return call(api, "get", "/api/v1/sites").then((body) => body.sites);
}

export function addOrigin(api: ApiClient, siteId: string, origin: string): Promise<SiteDetail> {
  return call(api, "post", "/api/v1/sites/{site_id}/origins", { path: site(siteId), body: { origin } });
}

/** The origin goes in the body: it cannot be a path segment. */
export function removeOrigin(api: ApiClient, siteId: string, origin: string): Promise<SiteDetail> {
  return call(api, "delete", "/api/v1/sites/{site_id}/origins", { path: site(siteId), body: { origin } });
}

export function addDomain(api: ApiClient, siteId: string, domain: string): Promise<SiteDetail> {
  return call(api, "post", "/api/v1/sites/{site_id}/domains", { path: site(siteId), body: { domain } });
}

export function removeDomain(api: ApiClient, siteId: string, domain: string): Promise<SiteDetail> {
  return call(api, "delete", "/api/v1/sites/{site_id}/domains/{domain}", { path: { site_id: siteId, domain } });
}

/** A new site secret: the answer is the only time it is shown. */
export function rotateSecret(api: ApiClient, siteId: string): Promise<SiteDetail> {
  return call(api, "post", "/api/v1/sites/{site_id}/secret", { path: site(siteId) });
}

export function listTeam(api: ApiClient): Promise<Team> {
  return call(api, "get", "/api/v1/users").then((body) => ({
    users: body.users ?? [],
    invitations: body.invitations ?? [],
  }));
}

export function invite(api: ApiClient, request: InviteRequest): Promise<Invitation> {
  return call(api, "post", "/api/v1/users", { body: request });
}

export function changeRole(api: ApiClient, userId: string, role: Role): Promise<Member> {
  return call(api, "patch", "/api/v1/users/{user_id}", { path: { user_id: userId }, body: { role } });
}

export async function removeMember(api: ApiClient, userId: string): Promise<void> {
  await call(api, "delete", "/api/v1/users/{user_id}", { path: { user_id: userId } });
}

export async function withdrawInvitation(api: ApiClient, invitationId: string): Promise<void> {
  await call(api, "delete", "/api/v1/account-invitations/{invitation_id}", {
    path: { invitation_id: invitationId },
  });
}
