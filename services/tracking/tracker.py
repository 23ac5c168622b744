"""The tracking service's parts, made at start and kept on the runtime."""

from dataclasses import dataclass

from services.common.geo import locator_from_env
from services.common.service import ServiceRuntime
from services.tracking.enrichment import Enricher
from services.tracking.ingest import IngestWriter
from services.tracking.live import LiveBoard
from services.tracking.livestore import LiveStore, MemoryLiveStore, RedisLiveStore
from services.tracking.retention import RetentionJob
from services.tracking.site_config import SiteConfigs


@dataclass
class Tracker:
    configs: SiteConfigs
    enricher: Enricher
    board: LiveBoard
    writer: IngestWriter
    retention: RetentionJob


def tracker_of(runtime: ServiceRuntime) -> Tracker:
    tracker: Tracker = runtime.extras["tracker"]
    return tracker


def board_of(runtime: ServiceRuntime) -> LiveBoard:
    return tracker_of(runtime).board


def writer_of(runtime: ServiceRuntime) -> IngestWriter:
    return tracker_of(runtime).writer


def _live_store(runtime: ServiceRuntime) -> LiveStore:
    settings = runtime.settings
    if settings.redis_url:
        return RedisLiveStore(settings.redis_url, settings.redis_prefix)
    return MemoryLiveStore()


async def start_tracker(runtime: ServiceRuntime) -> None:
    configs = SiteConfigs(runtime)
    enricher = Enricher(locator_from_env())
    board = LiveBoard(runtime, _live_store(runtime))
    writer = IngestWriter(runtime, configs, enricher, board)
    tracker = Tracker(configs, enricher, board, writer, RetentionJob(runtime))
    runtime.extras["tracker"] = tracker
    await writer.start()
    board.start()
    tracker.retention.start()


async def stop_tracker(runtime: ServiceRuntime) -> None:
    tracker = runtime.extras.pop("tracker", None)
    if tracker is None:
        return
    await tracker.writer.stop()
    await tracker.retention.stop()
    await tracker.board.stop()
    tracker.enricher.geo.close()
