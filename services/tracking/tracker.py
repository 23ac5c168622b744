"""The tracking service's parts, made when its app starts; routes reach them through `TrackerDep`."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.common.errors import ServiceUnavailable
from services.common.events import TrackBatchReceived
from services.common.geo import locator_from_env
from services.common.service import ServiceRuntime
from services.tracking.consumers import CHAT_EVENTS, chat_state_handler
from services.tracking.enrichment import Enricher
from services.tracking.ingest.consumer import StoreAcceptedBatches
from services.tracking.ingest.writer import IngestWriter
from services.tracking.live import LiveBoard
from services.tracking.livestore import LiveStore, MemoryLiveStore, RedisLiveStore
from services.tracking.retention import RetentionJob
from services.tracking.segments import SEGMENT_EVENTS, segments_handler
from services.tracking.site_config import SiteConfigs
from services.tracking.sites import SITE_EVENTS, site_events_handler
from services.tracking.tags import TAG_EVENTS, tags_handler


@dataclass
class Tracker:
    runtime: ServiceRuntime
    configs: SiteConfigs
    enricher: Enricher
    board: LiveBoard
    writer: IngestWriter
    retention: RetentionJob


def _live_store(runtime: ServiceRuntime) -> LiveStore:
    settings = runtime.settings
    if settings.redis_url:
        return RedisLiveStore(settings.redis_url, settings.redis_prefix)
    return MemoryLiveStore()


class Tracking:
    """Starts and stops the tracker with the app (`create_service_app`'s hooks). The consumers start last,
    once the live list was rebuilt from the stored visits and everything they use is there."""

    def __init__(self) -> None:
        self._tracker: Tracker | None = None
        self._starts = 0  # a lifespan run inside another one (a test server on a started app) shares its tracker

    @property
    def tracker(self) -> Tracker:
        if self._tracker is None:
            raise ServiceUnavailable("The tracking service is not running.")
        return self._tracker

    async def start(self, runtime: ServiceRuntime) -> None:
        self._starts += 1
        if self._tracker is not None:
            return
        configs = SiteConfigs(runtime.db)
        enricher = Enricher(locator_from_env())
        board = LiveBoard(runtime, _live_store(runtime))
        writer = IngestWriter(configs, enricher, runtime.settings)
        tracker = self._tracker = Tracker(runtime, configs, enricher, board, writer, RetentionJob(runtime))
        await board.rebuild()
        bus = runtime.bus
        await bus.consume(runtime.name, list(SITE_EVENTS), site_events_handler(runtime))
        await bus.consume(runtime.name, CHAT_EVENTS, chat_state_handler(runtime, board))
        await bus.consume(runtime.name, TAG_EVENTS, tags_handler(runtime, board))  # the rules' tags
        await bus.consume(runtime.name, SEGMENT_EVENTS, segments_handler(runtime, board))  # the rules' segments
        await bus.consume(runtime.name, [TrackBatchReceived.TYPE], StoreAcceptedBatches(runtime, writer, board))
        board.start()
        tracker.retention.start()

    async def stop(self, runtime: ServiceRuntime) -> None:
        self._starts = max(0, self._starts - 1)
        if self._starts:
            return
        tracker, self._tracker = self._tracker, None
        if tracker is None:
            return
        await tracker.retention.stop()
        await tracker.board.stop()
        tracker.enricher.geo.close()


async def current_tracker(request: Request) -> Tracker:
    tracking: Tracking = request.app.state.tracking
    return tracking.tracker


TrackerDep = Annotated[Tracker, Depends(current_tracker)]
