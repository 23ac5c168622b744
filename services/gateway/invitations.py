"""Invitations to join an account: how a person comes into a second account, only with their consent.

`POST /users` answers the same whoever the e-mail belongs to: an invitation, pending. For an e-mail
nobody has, the user is made then (with the name and password the admin gave) and their first login
accepts it; a person who exists (in another account) sees it in `GET /account-invitations` once logged
in and accepts or declines it. Nothing about them is shown to the inviting admin before they accept.
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import RowMapping, and_, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.gateway import accounts as accts
from services.gateway import audit
from services.gateway.api.schemas import AccountMembership, InvitationOut, ReceivedInvitation, Role
from services.gateway.models import account_invitations, accounts, memberships, users

INVITATION_TTL = timedelta(days=14)
invites = account_invitations.c


def _out(row: RowMapping | dict[str, Any]) -> InvitationOut:
    return InvitationOut.model_validate({name: row[name] for name in InvitationOut.model_fields})


def _pending() -> Any:
    return and_(invites.state == "pending", invites.expires_at > utcnow())


async def _never_joined(conn: AsyncConnection, user: RowMapping) -> bool:
    """A user who never logged in nor belongs anywhere: made by an invitation still waiting for them."""
    return user["last_login_at"] is None and not await accts.memberships_of(conn, user["id"])


async def invite(
    conn: AsyncConnection,
    account_id: str,
    email: str,
    name: str,
    password_hash: str,
    role: Role,
    actor: audit.Actor,
) -> InvitationOut:
    """Invite a person by e-mail (the caller hashed the password, whoever it is for: same time either way)."""
    email = email.lower()
    existing = await accts.user_by_email(conn, email)
    if existing is None:
        user_id, new_user = await accts.create_user(conn, email, name, password_hash), True
    else:
        user_id = existing["id"]
        if await accts.is_member(conn, account_id, user_id):
            raise Conflict("This person belongs to the account already.", code="user_exists")
        new_user = await _never_joined(conn, existing)
    waiting = select(invites.id).where(invites.account_id == account_id, invites.user_id == user_id, _pending())
    if (await conn.execute(waiting)).first() is not None:
        raise Conflict("This person has a pending invitation already.", code="already_invited")
    now, invitation_id = utcnow(), new_id()
    values: dict[str, Any] = {
        "id": invitation_id,
        "account_id": account_id,
        "user_id": user_id,
        "email": email,
        "role": role,
        "invited_by": actor.id,
        "new_user": new_user,
        "state": "pending",
        "created_at": now,
        "expires_at": now + INVITATION_TTL,
        "decided_at": None,
    }
    await conn.execute(insert(account_invitations).values(**values))
    after = {"email": email, "role": role}
    await audit.record(conn, account_id, actor, "invitation.created", ("invitation", invitation_id), after=after)
    return _out(values)


async def pending_for_account(conn: AsyncConnection, account_id: str) -> list[InvitationOut]:
    query = select(account_invitations).where(invites.account_id == account_id, _pending()).order_by(invites.id)
    return [_out(row) for row in (await conn.execute(query)).mappings()]


async def received(conn: AsyncConnection, user_id: str) -> list[ReceivedInvitation]:
    inviter = users.alias("inviter")
    query = (
        select(account_invitations, accounts.c.name.label("account_name"), inviter.c.name.label("invited_by_name"))
        .join(accounts, accounts.c.id == invites.account_id)
        .outerjoin(inviter, inviter.c.id == invites.invited_by)
        .where(invites.user_id == user_id, _pending())
        .order_by(invites.id)
    )
    return [
        ReceivedInvitation(
            id=row["id"],
            account_id=row["account_id"],
            account_name=row["account_name"],
            role=row["role"],
            invited_by=row["invited_by_name"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
        )
        for row in (await conn.execute(query)).mappings()
    ]


async def _decide(conn: AsyncConnection, row: RowMapping, state: str, actor: audit.Actor) -> None:
    decided = await conn.execute(
        update(account_invitations).where(invites.id == row["id"], _pending()).values(state=state, decided_at=utcnow())
    )
    if decided.rowcount != 1:  # decided before (perhaps just now, by a concurrent request), or expired
        raise Conflict("This invitation is no longer pending.", code="invitation_not_pending")
    await audit.record(
        conn,
        row["account_id"],
        actor,
        f"invitation.{state}",
        ("invitation", row["id"]),
        {"state": "pending"},
        {"state": state, "role": row["role"]},
    )


async def _addressed_to(conn: AsyncConnection, user_id: str, invitation_id: str) -> RowMapping:
    query = select(account_invitations).where(invites.id == invitation_id, invites.user_id == user_id)
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound("No such invitation.", code="invitation_not_found")
    return row


async def _join(conn: AsyncConnection, row: RowMapping, actor: audit.Actor) -> None:
    await _decide(conn, row, "accepted", actor)
    if not await accts.is_member(conn, row["account_id"], row["user_id"]):
        await accts.add_member(conn, row["account_id"], row["user_id"], row["role"])


async def accept(conn: AsyncConnection, user_id: str, invitation_id: str, actor: audit.Actor) -> AccountMembership:
    row = await _addressed_to(conn, user_id, invitation_id)
    await _join(conn, row, actor)
    query = (
        select(accounts.c.id, accounts.c.name, memberships.c.role)
        .join(memberships, memberships.c.account_id == accounts.c.id)
        .where(accounts.c.id == row["account_id"], memberships.c.user_id == user_id)
    )
    return AccountMembership.model_validate(dict((await conn.execute(query)).mappings().one()))


async def decline(conn: AsyncConnection, user_id: str, invitation_id: str, actor: audit.Actor) -> None:
    await _decide(conn, await _addressed_to(conn, user_id, invitation_id), "declined", actor)


async def accept_on_first_login(conn: AsyncConnection, user_id: str, actor: audit.Actor) -> None:
    """The invitations that made this user (or found them never logged in) are accepted by logging in."""
    query = select(account_invitations).where(invites.user_id == user_id, invites.new_user.is_(True), _pending())
    for row in (await conn.execute(query)).mappings().all():
        await _join(conn, row, actor)


async def withdraw(conn: AsyncConnection, account_id: str, invitation_id: str, actor: audit.Actor) -> None:
    """An admin takes an invitation back; a user made only for it (who never logged in) goes with it."""
    query = select(account_invitations).where(invites.id == invitation_id, invites.account_id == account_id)
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        raise NotFound("No such invitation.", code="invitation_not_found")
    await _decide(conn, row, "withdrawn", actor)
    if not row["new_user"]:
        return
    user = (await conn.execute(select(users).where(users.c.id == row["user_id"]))).mappings().one()
    others = select(invites.id).where(invites.user_id == user["id"], _pending())
    if await _never_joined(conn, user) and (await conn.execute(others)).first() is None:
        await conn.execute(delete(users).where(users.c.id == user["id"]))
