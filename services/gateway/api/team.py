"""The gateway's endpoints for an account's people: members and roles, invitations, and the audit log."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

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
ADMIN = ("admin",)


@router.get("/users", response_model=UserList, tags=["admin"])
async def list_users(request: Request, runtime: Runtime) -> UserList:
    """The account's members, and the invitations still pending."""
    identity = auth.require_user(request, runtime, ("supervisor", "admin"))
    async with runtime.db.reading() as session:
        return UserList(
            users=await accts.account_users(session, identity.account_id),
            invitations=await invitations.pending_for_account(session, identity.account_id),
        )


@router.post("/users", response_model=InvitationOut, status_code=201, tags=["admin"])
async def invite_user(body: CreateUser, request: Request, runtime: Runtime) -> InvitationOut:
    """Invite a person to the account (admins). The answer is the same whoever the e-mail belongs to: a
    pending invitation. A new e-mail gets its user (this name and password), whose first login accepts it;
    a person who has a user already accepts it after logging in (`/account-invitations`)."""
    identity = auth.require_user(request, runtime, ADMIN)
    password_hash = await hash_password_async(body.password)  # for both: the answer takes as long either way
    async with runtime.db.transaction() as session:
        return await invitations.invite(
            session, identity.account_id, body.email, body.name, password_hash, body.role, audit.Actor.of(identity)
        )


@router.patch("/users/{user_id}", response_model=UserOut, tags=["admin"])
async def change_role(user_id: UserId, body: UpdateMember, request: Request, runtime: Runtime) -> UserOut:
    """Change a member's role (admins); the last admin cannot be demoted (409 `last_admin`)."""
    identity = auth.require_user(request, runtime, ADMIN)
    async with runtime.db.transaction() as session:
        return await accts.change_role(session, identity.account_id, user_id, body.role, audit.Actor.of(identity))


@router.delete("/users/{user_id}", status_code=204, response_class=Response, tags=["admin"])
async def remove_member(user_id: UserId, request: Request, runtime: Runtime) -> Response:
    """Remove a member from the account (admins); their sessions in it end. Not the last admin (409)."""
    identity = auth.require_user(request, runtime, ADMIN)
    async with runtime.db.transaction() as session:
        await accts.remove_member(session, identity.account_id, user_id, audit.Actor.of(identity))
    return Response(status_code=204)


@router.delete("/account-invitations/{invitation_id}", status_code=204, response_class=Response, tags=["admin"])
async def withdraw_invitation(invitation_id: InvitationId, request: Request, runtime: Runtime) -> Response:
    """Take back a pending invitation of the account (admins)."""
    identity = auth.require_user(request, runtime, ADMIN)
    async with runtime.db.transaction() as session:
        await invitations.withdraw(session, identity.account_id, invitation_id, audit.Actor.of(identity))
    return Response(status_code=204)


@router.get("/account-invitations", response_model=ReceivedInvitationList, tags=["auth"])
async def my_invitations(request: Request, runtime: Runtime) -> ReceivedInvitationList:
    """The invitations addressed to the logged-in person, from any account, still pending."""
    identity = auth.require_user(request, runtime)
    async with runtime.db.reading() as session:
        return ReceivedInvitationList(invitations=await invitations.received(session, identity.user_id or ""))


@router.post("/account-invitations/{invitation_id}/accept", response_model=AccountMembership, tags=["auth"])
async def accept_invitation(invitation_id: InvitationId, request: Request, runtime: Runtime) -> AccountMembership:
    """Join the inviting account; switch to it with `POST /auth/refresh` and its `account_id`."""
    identity = auth.require_user(request, runtime)
    async with runtime.db.transaction() as session:
        return await invitations.accept(session, identity.user_id or "", invitation_id, audit.Actor.of(identity))


@router.post("/account-invitations/{invitation_id}/decline", status_code=204, response_class=Response, tags=["auth"])
async def decline_invitation(invitation_id: InvitationId, request: Request, runtime: Runtime) -> Response:
    identity = auth.require_user(request, runtime)
    async with runtime.db.transaction() as session:
        await invitations.decline(session, identity.user_id or "", invitation_id, audit.Actor.of(identity))
    return Response(status_code=204)


@router.get("/audit", response_model=AuditPage, tags=["admin"])
async def audit_log(
    request: Request,
    runtime: Runtime,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[str | None, Query(pattern=ID_PATTERN, description="`next_before` of the page before.")] = None,
    entity_type: AuditEntity | None = None,
    entity_id: Annotated[str | None, Query(pattern=KEY_PATTERN)] = None,
) -> AuditPage:
    """Who changed what in the account (admins): sites, block lists, members, roles, invitations, secret
    rotations; newest first, a page at a time, optionally of one entity."""
    identity = auth.require_user(request, runtime, ADMIN)
    async with runtime.db.reading() as session:
        return await audit.entries(session, identity.account_id, limit, before, entity_type, entity_id)
