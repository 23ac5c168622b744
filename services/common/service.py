"""`create_service_app`: the one way every service builds its FastAPI app and infrastructure.

A service passes its routers, its outbox table and its event consumers; this module attaches the
database (migrated at start in the embedded mode), the bus, the outbox relay, error handlers,
health, readiness and request metrics (served on the process's metrics port: `runner.serve`).
"""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Table

from services.common.bus import EventBus, EventHandler, bus_from_settings
from services.common.db import Database
from services.common.errors import install_error_handlers
from services.common.failures import UnhandledErrors
from services.common.observability import MetricsMiddleware
from services.common.outbox import OutboxRelay
from services.common.settings import Settings
from services.common.validation import InputGuard

log = logging.getLogger("floorwalker.service")
READY_WRITE_SECONDS = 1.5  # below the probes' timeout (the Kubernetes base gives 3 s)


@dataclass
class Consumer:
    types: list[str]
    handler: Callable[["ServiceRuntime"], EventHandler]


@dataclass
class ServiceRuntime:
    name: str
    settings: Settings
    db: Database
    bus: EventBus
    relay: OutboxRelay | None = None

    def after_commit(self) -> None:
        """Wake the outbox relay: call after committing a transaction that wrote events."""
        if self.relay:
            self.relay.kick()


async def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[ServiceRuntime, Depends(get_runtime)]
Hook = Callable[[ServiceRuntime], Awaitable[None]]


def create_service_app(
    name: str,
    settings: Settings,
    *,
    routers: Sequence[APIRouter] = (),
    outbox: Table | None = None,
    consumers: Sequence[Consumer] = (),
    bus: EventBus | None = None,
    on_start: Sequence[Hook] = (),
    on_stop: Sequence[Hook] = (),
    middleware: Sequence[type[Any]] = (),
    **fastapi_kwargs: Any,
) -> FastAPI:
    """Build a service app. `bus` is shared by the embedded runner; otherwise the app owns its own.
    `middleware` (pure ASGI classes taking the app) run inside the metrics middleware and the input guard,
    innermost last."""
    owns_bus = bus is None
    migrate = settings.should_migrate_on_start()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime: ServiceRuntime = app.state.runtime
        if migrate:  # (Alembic, with Mako and Pygments, is a fifth of a service's start: imported only to migrate)
            from services.common.migrate import upgrade_async

            await upgrade_async(name, runtime.db.url)
        if owns_bus:
            await runtime.bus.start()
        for consumer in consumers:
            await runtime.bus.consume(name, consumer.types, consumer.handler(runtime))
        for hook in on_start:
            await hook(runtime)
        # After the hooks: embedded, the gateway's start hook starts the other services, whose consumers must
        # be on the in-process bus before this relay publishes what its outbox holds (else nobody gets it).
        if runtime.relay:
            await runtime.relay.start()
        try:
            yield
        finally:
            for hook in on_stop:
                await hook(runtime)
            if runtime.relay:
                await runtime.relay.stop()
            if owns_bus:
                await runtime.bus.stop()
            await runtime.db.dispose()

    app = FastAPI(title=f"Floorwalker {name}", lifespan=lifespan, **fastapi_kwargs)
    db = Database(settings.database_url_for(name))
    the_bus = bus or bus_from_settings(settings)
    relay = OutboxRelay(db, outbox, the_bus, settings.outbox_poll_interval) if outbox is not None else None
    app.state.runtime = ServiceRuntime(name=name, settings=settings, db=db, bus=the_bus, relay=relay)
    install_error_handlers(app)
    for inner in reversed(middleware):
        app.add_middleware(inner)
    app.add_middleware(InputGuard)  # every body and query checked (`validation`) before any route runs
    app.add_middleware(UnhandledErrors)  # 503 when the database is unavailable, else 500; counted by the metrics
    app.add_middleware(MetricsMiddleware, service=name)
    for router in routers:
        app.include_router(router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": name}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> JSONResponse:
        """Ready when the service's database takes a write within `READY_WRITE_SECONDS` (a database locked
        or read-only is not ready); embedded, the in-process services' databases too (`state.also_ready`)."""
        runtime: ServiceRuntime = request.app.state.runtime
        databases = [runtime.db, *getattr(request.app.state, "also_ready", ())]
        for db in databases:
            problem = await db.write_problem(READY_WRITE_SECONDS)
            if problem is not None:  # the detail (which database, its error) is for the log, not for callers
                log.warning("not ready: database %s: %s", db.engine.url.database or "", problem)
                answer = {"status": "unavailable", "service": name, "reason": "database_not_writable"}
                return JSONResponse(answer, status_code=503)
        return JSONResponse({"status": "ready", "service": name})

    return app
