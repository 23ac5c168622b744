"""The gateway's endpoints for an account's people: members and roles, invitations, and the audit log."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from services.common.service import Runtime
from services.common.validation import ID_PATTERN, KEY_PATTERN
from services.gateway import accounts as accts
from services.gateway import audit, auth, invitations
from services.gateway.api.schemas import (
    AccountMembership,
    AuditEntity,
    AuditPage,
    CreateUser,
    InvitationOut,
    ReceivedInvitationList,
    UpdateMember,
    UserList,
    UserOut,
)
from services.gateway.passwords import hash_password_async

router = APIRouter()
UserId = Annotated[str, Path(pattern=ID_PATTERN, description="A user's id.")]
InvitationId = Annotated[str, Path(pattern=ID_PATTERN, description="An invitation's id.")]


@router.get("/users", response_model=UserList, tags=["admin"])
async def list_users(identity: auth.Supervisor, runtime: Runtime) -> UserList:
    """The account's members, and the invitations still pending."""
    async with runtime.db.reading() as conn:
        return UserList(
            users=await accts.account_users(conn, identity.account_id),
            invitations=await invitations.pending_for_account(conn, identity.account_id),
        )


@router.post("/users", response_model=InvitationOut, status_code=201, tags=["admin"])
async def invite_user(identity: auth.Admin, body: CreateUser, runtime: Runtime) -> InvitationOut:
    """Invite a person to the account (admins). The answer is the same whoever the e-mail belongs to: a
    pending invitation. A new e-mail gets its user (this name and password), whose first login accepts it;
    a person who has a user already accepts it after logging in (`/account-invitations`)."""
    password_hash = await hash_password_async(body.password)  # for both: the answer takes as long either way
    async with runtime.db.transaction() as conn:
        return await invitations.invite(
            conn, identity.account_id, body.email, body.name, password_hash, body.role, audit.Actor.of(identity)
        )


@router.patch("/users/{user_id}", response_model=UserOut, tags=["admin"])
async def change_role(identity: auth.Admin, user_id: UserId, body: UpdateMember, runtime: Runtime) -> UserOut:
    """Change a member's role (admins); the last admin cannot be demoted (409 `last_admin`)."""
    async with runtime.db.transaction() as conn:
        return await accts.change_role(conn, identity.account_id, user_id, body.role, audit.Actor.of(identity))


@router.delete("/users/{user_id}", status_code=204, response_class=Response, tags=["admin"])
async def remove_member(identity: auth.Admin, user_id: UserId, runtime: Runtime) -> Response:
    """Remove a member from the account (admins); their sessions in it end. Not the last admin (409)."""
    async with runtime.db.transaction() as conn:
        await accts.remove_member(conn, identity.account_id, user_id, audit.Actor.of(identity))
    return Response(status_code=204)


@router.delete("/account-invitations/{invitation_id}", status_code=204, response_class=Response, tags=["admin"])
async def withdraw_invitation(identity: auth.Admin, invitation_id: InvitationId, runtime: Runtime) -> Response:
    """Take back a pending invitation of the account (admins)."""
    async with runtime.db.transaction() as conn:
        await invitations.withdraw(conn, identity.account_id, invitation_id, audit.Actor.of(identity))
    return Response(status_code=204)


@router.get("/account-invitations", response_model=ReceivedInvitationList, tags=["auth"])
async def my_invitations(identity: auth.User, runtime: Runtime) -> ReceivedInvitationList:
    """The invitations addressed to the logged-in person, from any account, still pending."""
    async with runtime.db.reading() as conn:
        return ReceivedInvitationList(invitations=await invitations.received(conn, identity.user_id or ""))


@router.post("/account-invitations/{invitation_id}/accept", response_model=AccountMembership, tags=["auth"])
async def accept_invitation(identity: auth.User, invitation_id: InvitationId, runtime: Runtime) -> AccountMembership:
    """Join the inviting account; switch to it with `POST /auth/refresh` and its `account_id`."""
    async with runtime.db.transaction() as conn:
        return await invitations.accept(conn, identity.user_id or "", invitation_id, audit.Actor.of(identity))


@router.post("/account-invitations/{invitation_id}/decline", status_code=204, response_class=Response, tags=["auth"])
async def decline_invitation(identity: auth.User, invitation_id: InvitationId, runtime: Runtime) -> Response:
    async with runtime.db.transaction() as conn:
        await invitations.decline(conn, identity.user_id or "", invitation_id, audit.Actor.of(identity))
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage, tags=["admin"])
async def audit_log(
    identity: auth.Admin,
    runtime: Runtime,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[str | None, Query(pattern=ID_PATTERN, description="`next_before` of the page before.")] = None,
    entity_type: AuditEntity | None = None,
    entity_id: Annotated[str | None, Query(pattern=KEY_PATTERN)] = None,
) -> AuditPage:
    """Who changed what in the account (admins): sites, block lists, members, roles, invitations, secret
    rotations; newest first, a page at a time, optionally of one entity."""
    async with runtime.db.reading() as conn:
        return await audit.entries(conn, identity.account_id, limit, before, entity_type, entity_id)
