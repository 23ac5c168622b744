"""Accounts, users and memberships: who belongs to which account, with which role.

Only an account's admins change its members (the routes check the role); an account always keeps one
admin at least. A person joins a second account only by accepting an invitation (`invitations.py`).
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, Select, delete, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.gateway import audit
from services.gateway.api.schemas import Role, UserOut
from services.gateway.models import PHOTO_PREFIX, accounts, memberships, refresh_tokens, user_photos, users
from services.gateway.passwords import hash_password


async def create_account(conn: AsyncConnection, name: str, actor: audit.Actor = audit.SYSTEM) -> str:
    account_id = new_id()
    await conn.execute(insert(accounts).values(id=account_id, name=name, created_at=utcnow()))
    await audit.record(conn, account_id, actor, "account.created", ("account", account_id), after={"name": name})
    return account_id


async def user_by_email(conn: AsyncConnection, email: str) -> RowMapping | None:
    return (await conn.execute(select(users).where(users.c.email == email.lower()))).mappings().first()


async def create_user(conn: AsyncConnection, email: str, name: str, password_hash: str) -> str:
    user_id = new_id()
    await conn.execute(
        insert(users).values(
            id=user_id, email=email.lower(), name=name, password_hash=password_hash, created_at=utcnow()
        )
    )
    return user_id


async def is_member(conn: AsyncConnection, account_id: str, user_id: str) -> bool:
    query = select(memberships.c.role).where(memberships.c.user_id == user_id, memberships.c.account_id == account_id)
    return (await conn.execute(query)).first() is not None


async def add_member(conn: AsyncConnection, account_id: str, user_id: str, role: str) -> None:
    await conn.execute(
        insert(memberships).values(user_id=user_id, account_id=account_id, role=role, created_at=utcnow())
    )


async def add_user(conn: AsyncConnection, account_id: str, email: str, password: str, name: str, role: str) -> UserOut:
    """A new user with a role in the account, at once: for the account's first admin and the demo seed only
    (`POST /users` invites). An e-mail already taken is a conflict."""
    if await user_by_email(conn, email) is not None:
        raise Conflict("This e-mail belongs to a user already.", code="user_exists")
    user_id = await create_user(conn, email, name, hash_password(password))
    await add_member(conn, account_id, user_id, role)
    return UserOut.model_validate(
        {"id": user_id, "email": email.lower(), "name": name, "role": role, "account_id": account_id}
    )


async def memberships_of(conn: AsyncConnection, user_id: str) -> Sequence[RowMapping]:
    query = (
        select(accounts.c.id, accounts.c.name, memberships.c.role)
        .join(memberships, memberships.c.account_id == accounts.c.id)
        .where(memberships.c.user_id == user_id)
        .order_by(memberships.c.created_at)
    )
    return (await conn.execute(query)).mappings().all()


def _members(account_id: str) -> Select[Any]:
    return (
        select(
            users.c.id,
            users.c.email,
            users.c.name,
            memberships.c.role,
            memberships.c.account_id,
            (literal(PHOTO_PREFIX) + user_photos.c.id).label("photo_url"),  # null without a photo (`photos.py`)
        )
        .join(memberships, memberships.c.user_id == users.c.id)
        .outerjoin(user_photos, user_photos.c.user_id == users.c.id)
        .where(memberships.c.account_id == account_id)
    )


async def account_users(conn: AsyncConnection, account_id: str) -> list[UserOut]:
    rows = (await conn.execute(_members(account_id).order_by(users.c.email))).mappings()
    return [UserOut.model_validate(dict(r)) for r in rows]


async def account_user(conn: AsyncConnection, account_id: str, user_id: str) -> UserOut:
    """A member of the account; anyone else (of another account, or nobody) is not found."""
    row = (await conn.execute(_members(account_id).where(users.c.id == user_id))).mappings().first()
    if row is None:
        raise NotFound("No such user in this account.", code="user_not_found")
    return UserOut.model_validate(dict(row))


async def _lock_account(conn: AsyncConnection, account_id: str) -> None:
    """Changes of one account's members, one at a time: a write to the account's row (a row lock on
    PostgreSQL, the write lock on SQLite), so two admins demoting each other cannot leave none."""
    await conn.execute(update(accounts).where(accounts.c.id == account_id).values(name=accounts.c.name))


async def _check_not_last_admin(conn: AsyncConnection, account_id: str, member: UserOut) -> None:
    if member.role != "admin":
        return
    admins = await conn.scalar(
        select(func.count())
        .select_from(memberships)
        .where(memberships.c.account_id == account_id, memberships.c.role == "admin")
    )
    if (admins or 0) <= 1:
        raise Conflict("The account's last admin cannot be removed or demoted.", code="last_admin")


async def change_role(conn: AsyncConnection, account_id: str, user_id: str, role: Role, actor: audit.Actor) -> UserOut:
    await _lock_account(conn, account_id)
    member = await account_user(conn, account_id, user_id)
    if member.role == role:
        return member
    if role != "admin":
        await _check_not_last_admin(conn, account_id, member)
    await conn.execute(
        update(memberships)
        .where(memberships.c.account_id == account_id, memberships.c.user_id == user_id)
        .values(role=role)
    )
    await audit.record(
        conn,
        account_id,
        actor,
        "membership.role_changed",
        ("membership", user_id),
        {"role": member.role},
        {"role": role},
    )
    return member.model_copy(update={"role": role})


async def remove_member(conn: AsyncConnection, account_id: str, user_id: str, actor: audit.Actor) -> None:
    """The person leaves the account (their user stays); their sessions in it end."""
    await _lock_account(conn, account_id)
    member = await account_user(conn, account_id, user_id)
    await _check_not_last_admin(conn, account_id, member)
    await conn.execute(
        delete(memberships).where(memberships.c.account_id == account_id, memberships.c.user_id == user_id)
    )
    await conn.execute(
        update(refresh_tokens)
        .where(
            refresh_tokens.c.user_id == user_id,
            refresh_tokens.c.account_id == account_id,
            refresh_tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    before = {"email": member.email, "name": member.name, "role": member.role}
    await audit.record(conn, account_id, actor, "membership.removed", ("membership", user_id), before=before)
