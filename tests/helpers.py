"""Helpers for tests: real PostgreSQL databases per test, running apps, identities."""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import httpx
from fastapi import FastAPI

from services.common.settings import Settings
from services.common.tokens import INTERNAL_HEADER, Identity, internal_token

PG_ADMIN_DSN = os.environ.get("TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def create_pg_database() -> str:
    name = f"fw_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_pg_database(name: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def pg_url(name: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan and give an HTTP client speaking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


def as_identity(settings: Settings, identity: Identity) -> dict[str, str]:
    """The header the gateway adds for an authenticated caller."""
    return {INTERNAL_HEADER: internal_token(identity, settings.internal_secret)}


def operator(account_id: str = "acc-1", user_id: str = "user-1", name: str = "Olga") -> Identity:
    return Identity(kind="user", account_id=account_id, user_id=user_id, role="operator", name=name)


def visitor(account_id: str = "acc-1", site_id: str = "site-1", visitor_id: str | None = None) -> Identity:
    return Identity(kind="visitor", account_id=account_id, site_id=site_id, visitor_id=visitor_id or str(uuid.uuid4()))
