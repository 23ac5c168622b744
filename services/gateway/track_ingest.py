"""`POST /api/v1/track/events` at the edge: accepted fast, stored in batches behind.

The gateway checks the batch (each event on its own) and hands the valid events on as one `track.batch`
event: a Redis Streams entry when distributed (acknowledged once Redis has it; the tracking service
writes what its consumer group reads, many batches per transaction, each once), or straight to the
tracking service's handler in process when embedded (stored before the answer). Distributed, the batch's newest
page view also goes at once to the account's live list as `visitor.moves` (`live_moves`).

It is the busiest endpoint by far, so `TrackIngestFastPath` serves it straight from the middleware stack:
FastAPI's routing, dependencies and exception middleware cost the gateway more than the endpoint's own
work per batch. The route declared in `api/routes.py` calls the same `accept_events`; it gives the OpenAPI
document.
"""

import asyncio
import time

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.bus import EventBus
from services.common.db import utcnow
from services.common.errors import ServiceUnavailable, known_error_response
from services.common.events import TrackBatchReceived
from services.common.service import ServiceRuntime
from services.common.track_events import Accepted, check_events, read_batch, read_body
from services.gateway.live_moves import announce_move
from services.gateway.state import gateway_state
from services.gateway.visitor_edge import TRACK_EVENTS, admitted_visitor, not_tracked

TRACKING_GROUP = "tracking"  # a service's consumer group bears its name (`create_service_app`)


async def accept_events(request: Request, runtime: ServiceRuntime) -> JSONResponse:
    batch = read_batch(await read_body(request))  # first: a beacon's token is in it
    visitor, site = await admitted_visitor(request, runtime, batch.visitor_token)
    reason = not_tracked(request, site, visitor)
    if reason:
        return JSONResponse({"accepted": 0, "dropped": True, "reason": reason}, status_code=202)
    received_at = utcnow()
    valid, rejected = check_events(batch.events, received_at)
    if valid:
        await gateway_state(request).backlog.check()
        kept = [index for index, _, _ in valid]
        accepted = TrackBatchReceived.of(visitor, request.headers.get("user-agent"), received_at, batch.events, kept)
        try:
            await runtime.bus.publish_event(accepted.to_event(visitor.account_id))
        except Exception as exc:
            raise ServiceUnavailable(
                "The events could not be taken now; send them again.", code="tracking_unavailable"
            ) from exc
        if runtime.settings.fw_mode == "distributed":  # (embedded: stored and announced before the answer)
            announce_move(runtime.bus, visitor, valid)
    body = Accepted(accepted=len(valid), rejected=rejected)
    return JSONResponse(body.model_dump(mode="json"), status_code=202)


class TrackingBacklog:
    """Refuses new batches (503, the widget sends them again later) while the tracking service is so far
    behind that the stream would soon drop entries it has not stored, and while its consumer group is
    missing (Redis came back empty: nobody would read them) or Redis does not answer. Asks Redis at most
    once a second while all is well, every `retry_interval` while it is not."""

    def __init__(self, bus: EventBus, limit: int, interval: float = 1.0, retry_interval: float = 0.1) -> None:
        self.bus = bus
        self.limit = limit
        self.interval = interval
        self.retry_interval = retry_interval
        self._size: int | None = 0
        self._next = 0.0

    async def check(self) -> None:
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.retry_interval  # the requests meanwhile go by the last answer
            try:
                async with asyncio.timeout(self.interval):  # Redis away: redis-py retries for seconds
                    self._size = await self.bus.backlog(TrackBatchReceived.TYPE, TRACKING_GROUP)
            except Exception:  # Redis does not answer: nobody can tell whether the batches would be stored
                self._size = None
            if self._size is not None:
                self._next = now + self.interval
        if self._size is None:
            raise ServiceUnavailable(
                "Visitor tracking is not ready; send the events again in a moment.", code="tracking_unavailable"
            )
        if self._size >= self.limit:
            raise ServiceUnavailable(
                "Visitor tracking is behind; send the events again in a minute.", code="tracking_busy"
            )


class TrackIngestFastPath:
    """`POST /api/v1/track/events` answered by `accept_events` without FastAPI's routing; errors get the
    same JSON as the app's handlers give. Installed inside the CORS and metrics middlewares."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != TRACK_EVENTS or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        runtime: ServiceRuntime = scope["app"].state.runtime
        try:
            response = await accept_events(Request(scope, receive), runtime)
        except Exception as exc:
            known = known_error_response(exc)
            if known is None:
                raise
            response = known
        await response(scope, receive, send)
