"""What the live rules evaluate a visitor with besides the visitor, cached in each rules replica: a site's rules
(compiled once per (rule, version, position)) and an account's segments (once per (segment, version, position)).

A cached book is read from the database again only when its edition moved (`VisitorStore.editions`: a counter
per book, in Redis distributed, that every edit bumps once it is committed, `edited_rules` / `edited_segments`),
or `BOOKS_FRESH` seconds after it was read (what a bump lost with a crashed replica costs at most). One look at
the editions (one MGET for the site's rules and the account's segments) serves every visitor of a batch of page
views or of due timers (`live.py`), so an edit takes effect for every evaluation that starts after the edit's
answer; an evaluation in flight finishes with the book it started with (ENG-3: versioned).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import RowMapping

from services.common.service import ServiceRuntime
from services.rules import repository
from services.rules.engine import CompiledRule, RuleSet, compile_rule
from services.rules.live_store import VisitorStore
from services.rules.presence import Availability
from services.rules.rulebook import definition_of
from services.rules.segments.book import account_rows
from services.rules.segments.book import definition_of as segment_definition
from services.rules.segments.classify import CompiledSegment, SegmentSet, compile_segment

BOOKS_FRESH = 10.0  # a cached book is read again after this many seconds even if no edit was heard of
T = TypeVar("T")
Key = tuple[str, int, int]  # (id, version, position): what says whether a compiled rule or segment is current


def rules_book(site_id: str) -> str:
    return f"rules:{site_id}"


def segments_book(account_id: str) -> str:
    return f"segments:{account_id}"


@dataclass(slots=True)
class _Copy(Generic[T]):
    edition: int
    read_at: float  # time.monotonic()
    keys: Sequence[Key]
    value: T


class Books:
    def __init__(self, store: VisitorStore) -> None:
        self.store = store
        self.compiled: dict[Key, CompiledRule] = {}
        self.segments: dict[Key, CompiledSegment] = {}
        self._rule_sets: dict[str, _Copy[RuleSet]] = {}  # by site
        self._segment_sets: dict[str, _Copy[SegmentSet]] = {}  # by account

    async def site(self, runtime: ServiceRuntime, account_id: str, site_id: str) -> tuple[RuleSet, SegmentSet]:
        """The site's rules and its account's segments now (one look at both editions)."""
        rules_edition, segments_edition = await self.store.editions([rules_book(site_id), segments_book(account_id)])
        now = time.monotonic()
        rules = self._rule_sets.get(site_id)
        if rules is None or rules.edition != rules_edition or rules.read_at + BOOKS_FRESH < now:
            rules = await self._read_rules(runtime, site_id, rules_edition, now)
        segments = self._segment_sets.get(account_id)
        if segments is None or segments.edition != segments_edition or segments.read_at + BOOKS_FRESH < now:
            segments = await self._read_segments(runtime, account_id, segments_edition, now)
        return rules.value, segments.value

    async def rules(self, runtime: ServiceRuntime, site_id: str) -> RuleSet:
        """The site's rules now."""
        [edition] = await self.store.editions([rules_book(site_id)])
        rules = self._rule_sets.get(site_id)
        now = time.monotonic()
        if rules is None or rules.edition != edition or rules.read_at + BOOKS_FRESH < now:
            rules = await self._read_rules(runtime, site_id, edition, now)
        return rules.value

    async def edited_rules(self, site_id: str) -> None:
        """A rule of the site was created, changed, moved or deleted (committed): every replica reads them again."""
        await self.store.bump(rules_book(site_id))
        self._rule_sets.pop(site_id, None)

    async def edited_segments(self, account_id: str) -> None:
        """A segment of the account was created, changed, moved or deleted (committed)."""
        await self.store.bump(segments_book(account_id))
        self._segment_sets.pop(account_id, None)

    async def _read_rules(self, runtime: ServiceRuntime, site_id: str, edition: int, now: float) -> _Copy[RuleSet]:
        """The site's rule keys; a definition only when that version (at that place: a move of another rule
        shifts it) is not compiled yet, and the indexed set again only when one of them changed."""
        async with runtime.db.reading() as conn:
            keys = await repository.site_rule_keys(conn, site_id)
            missing = [key[0] for key in keys if key not in self.compiled]
            rows = await repository.rules_by_id(conn, missing) if missing else []
        for row in rows:
            key = (row["id"], row["version"], row["position"])
            self.compiled[key] = compile_rule(definition_of(row), row["id"], row["version"], site_id, row["position"])
        cached = self._rule_sets.get(site_id)
        if cached is not None and cached.keys == keys:
            rule_set = cached.value
        else:
            rule_set = RuleSet(self.compiled[key] for key in keys if key in self.compiled)  # (one edited meanwhile)
        copy = _Copy(edition, now, keys, rule_set)
        if all(key in self.compiled for key in keys):  # else read again next time
            self._rule_sets[site_id] = copy
        return copy

    async def _read_segments(
        self, runtime: ServiceRuntime, account_id: str, edition: int, now: float
    ) -> _Copy[SegmentSet]:
        rows: list[RowMapping] = await account_rows(runtime, account_id)  # the defaults made at first use
        keys = [(row["id"], row["version"], row["position"]) for row in rows]
        cached = self._segment_sets.get(account_id)
        if cached is not None and cached.keys == keys:
            copy = _Copy(edition, now, keys, cached.value)
        else:
            for row, key in zip(rows, keys, strict=True):
                if key not in self.segments:
                    self.segments[key] = compile_segment(segment_definition(row), *key)
            copy = _Copy(edition, now, keys, SegmentSet(self.segments[key] for key in keys))
        self._segment_sets[account_id] = copy
        return copy


@dataclass(frozen=True, slots=True)
class SiteNow:
    """What a visitor of a site is evaluated with: its rules, its account's segments and operators."""

    rules: RuleSet
    segments: SegmentSet
    operators: Availability


class Batch:
    """What the evaluations of one batch (the page views of one read, the timers due at one tick, an account's
    visitors after a change of operators) share: each site's books, read once for all of them."""

    def __init__(self, read: Callable[[str, str], Awaitable[SiteNow]]) -> None:
        self._read = read
        self._sites: dict[tuple[str, str], SiteNow] = {}
        self._lock = asyncio.Lock()

    async def site(self, account_id: str, site_id: str) -> SiteNow:
        async with self._lock:  # the visitors of a batch run at once: the first reads, the others wait for it
            found = self._sites.get((account_id, site_id))
            if found is None:
                found = self._sites[account_id, site_id] = await self._read(account_id, site_id)
            return found
