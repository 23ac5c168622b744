"""The live list: who is on the account's sites now, pushed to operators as changes, and who left."""

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.db import utcnow
from services.common.periodic import being_cancelled
from services.common.service import ServiceRuntime
from services.common.tokens import Identity
from services.tracking import repository
from services.tracking.api.schemas import VisitorOut
from services.tracking.ingest.plan import Changes
from services.tracking.livestore import LiveStore
from services.tracking.sites import check_site

log = logging.getLogger("floorwalker.tracking.live")
SWEEP_SECONDS = 5.0
REBUILD_PAGE = 1000  # visitors read at a time when the live list is rebuilt at start


def contact_out(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "contact_id": row["id"],
        "user_id": row["external_id"],
        "email": row["email"],
        "name": row["name"],
        "phone": row["phone"],
        "verified": row["verified"],
    }


def arrival_out(visit: Any) -> dict[str, Any] | None:
    if visit is None or not visit["arrived_kind"]:
        return None
    return {"kind": visit["arrived_kind"], "source": visit["arrived_source"], "keywords": visit["keywords"]}


def visitor_out(row: Any, visit: Any, contact: Any) -> VisitorOut:
    """`LiveVisitor` from the visitor's row, their current visit and their contact."""
    return VisitorOut(
        visitor_id=row["id"],
        site_id=row["site_id"],
        visit_id=row["current_visit_id"],
        current_url=row["current_url"],
        current_title=row["current_title"],
        section=row["current_section"],
        first_seen_at=row["first_seen_at"],
        last_seen_at=row["last_seen_at"],
        visit_started_at=visit["started_at"] if visit else None,
        page_started_at=row["page_started_at"],
        pages_viewed=visit["page_count"] if visit else 0,
        visit_count=row["visit_count"],
        returning=row["visit_count"] > 1,
        ip=visit["ip"] if visit else None,
        location=visit["location"] if visit else None,
        device=visit["device"] if visit else None,
        referrer=visit["referrer"] if visit else None,
        arrived_via=arrival_out(visit),
        utm=visit["utm"] if visit else None,
        contact=contact_out(contact),
        attributes=row["attributes"] or {},
        chat_state=row["chat_state"] or "none",
        tags=row.get("tags") or [],
        segment_id=row.get("segment_id"),
        segment_name=row.get("segment_name"),
    )


async def contact_of(conn: AsyncConnection, row: Any) -> Any:
    """The contact a visitor row is linked to, if any."""
    if not row["contact_id"]:
        return None
    return (await repository.contacts_by_id(conn, {row["contact_id"]})).get(row["contact_id"])


async def read_visitor_out(conn: AsyncConnection, row: Any) -> VisitorOut:
    """`LiveVisitor` of a stored visitor row: its current visit and contact are read too."""
    visit = await repository.visit_by_id(conn, row["current_visit_id"]) if row["current_visit_id"] else None
    return visitor_out(row, visit, await contact_of(conn, row))


Entry = tuple[str, str, dict[str, Any], float]  # (account, visitor, LiveVisitor record, last seen) for the store


def entry_of(row: Any, visits: dict[str, Any], contacts: dict[str, Any]) -> Entry:
    """The live store's entry for a visitor row, with its current visit and contact among those given."""
    visit = visits.get(row["current_visit_id"] or "")
    record = visitor_out(row, visit, contacts.get(row["contact_id"] or "")).model_dump(mode="json")
    return row["account_id"], row["id"], record, row["last_seen_at"].timestamp()


class LiveBoard:
    def __init__(self, runtime: ServiceRuntime, store: LiveStore) -> None:
        self.runtime = runtime
        self.store = store
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def idle(self) -> timedelta:
        return timedelta(seconds=self.runtime.settings.live_idle_seconds)

    async def publish_changes(self, changes: Changes) -> None:
        """Put the changed visitors in the live list and tell the operators; robots leave it."""
        wanted = {row["contact_id"] for row in changes.visitors.values() if row["contact_id"]}
        found: dict[str, Any] = {}
        if wanted:
            async with self.runtime.db.reading() as conn:
                found = await repository.contacts_by_id(conn, wanted)
        shown: list[Entry] = []
        for row in changes.visitors.values():
            if row["is_robot"]:
                if (row["account_id"], row["id"]) in changes.robots:
                    await self.drop(row["account_id"], row["id"])
                continue
            shown.append(entry_of(row, changes.visits, found))
        try:
            await self.store.put_many(shown)
        except Exception:
            log.warning("could not update the live list for %d visitors", len(shown), exc_info=True)
            return
        frames = [(f"account:{a}", {"type": "visitor.updated", "visitor": record}) for a, _, record, _ in shown]
        try:  # one round trip for all of them: each one awaited alone held up the next read of the stream
            await self.runtime.bus.publish_each(frames)
        except Exception:
            log.warning("could not publish %d visitor.updated frames", len(frames), exc_info=True)

    async def show(self, visitor: VisitorOut, account_id: str) -> None:
        record = visitor.model_dump(mode="json")
        await self.store.put(account_id, visitor.visitor_id, record, visitor.last_seen_at.timestamp())
        await announce(self.runtime, account_id, {"type": "visitor.updated", "visitor": record})

    async def drop(self, account_id: str, visitor_id: str) -> None:
        if await self.store.remove(account_id, visitor_id):
            await announce(self.runtime, account_id, {"type": "visitor.left", "visitor_id": visitor_id})

    async def refresh(self, visitor_id: str) -> None:
        """Re-read one visitor and update the live list, if they are on the site now (chat state, identity)."""
        async with self.runtime.db.reading() as conn:
            row = await repository.visitor_by_id(conn, visitor_id)
            if row is None or row["is_robot"] or utcnow() - row["last_seen_at"] > self.idle:
                return
            visitor = await read_visitor_out(conn, row)
        await self.show(visitor, row["account_id"])

    async def rebuild(self) -> int:
        """Put back everyone active within `LIVE_IDLE_SECONDS` from the stored visits (at start: the embedded
        mode keeps the list in memory, a Redis may have come back empty). A record already there is newer
        (written by an ingest meanwhile, or by another replica) and stays. Returns how many were read."""
        since = utcnow() - self.idle
        after, count = "", 0
        while True:
            async with self.runtime.db.reading() as conn:
                rows = await repository.recent_visitors(conn, since, after, REBUILD_PAGE)
                visits = await repository.visits_by_id(
                    conn, [r["current_visit_id"] for r in rows if r["current_visit_id"]]
                )
                found = await repository.contacts_by_id(conn, {r["contact_id"] for r in rows if r["contact_id"]})
            entries = [entry_of(row, visits, found) for row in rows]
            await self.store.put_missing(entries)
            count += len(rows)
            if len(rows) < REBUILD_PAGE:
                return count
            after = rows[-1]["id"]

    async def live_visitors(self, operator: Identity, site_id: str | None) -> list[dict[str, Any]]:
        """The account's visitors on its sites now; with `site_id`, that site's (404 if not the account's)."""
        if site_id is not None:
            async with self.runtime.db.reading() as conn:
                await check_site(conn, operator, site_id)
        since = (utcnow() - self.idle).timestamp()
        records = await self.store.recent(operator.account_id, since)
        if site_id:
            records = [r for r in records if r["site_id"] == site_id]
        records.sort(key=lambda r: r["last_seen_at"], reverse=True)
        return records[:1000]

    async def announce_departures(self) -> int:
        """`visitor.left` for everyone idle past `LIVE_IDLE_SECONDS`; each departure is announced once."""
        gone = await self.store.expire((utcnow() - self.idle).timestamp())
        for account_id, visitor_id in gone:
            await announce(self.runtime, account_id, {"type": "visitor.left", "visitor_id": visitor_id})
        return len(gone)

    async def _sweep_forever(self) -> None:
        while not being_cancelled():  # (a cancellation swallowed inside a sweep ends it too)
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.announce_departures()
            except Exception:
                if being_cancelled():
                    raise asyncio.CancelledError from None
                log.exception("departure sweep failed")

    def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever())

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.store.close()


async def announce(runtime: ServiceRuntime, account_id: str, frame: dict[str, Any]) -> None:
    """Realtime frame to the account's operators; losing one is tolerated (the console resyncs)."""
    try:
        await runtime.bus.publish(f"account:{account_id}", frame)
    except Exception:
        log.warning("could not publish %s to account %s", frame.get("type"), account_id, exc_info=True)
