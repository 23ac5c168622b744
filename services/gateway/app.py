"""The gateway: the only public origin (API, sockets, SPAs, demo shop)."""

import asyncio
import contextlib
from collections.abc import Mapping, Sequence

from fastapi import FastAPI

from services.common.bus import EventBus
from services.common.service import Hook, ServiceRuntime, create_service_app
from services.common.settings import Settings, get_settings
from services.gateway.api.forward import router as forward_router
from services.gateway.api.routes import router as api_router
from services.gateway.api_docs import router as docs_router
from services.gateway.cors import Cors, SiteOrigins
from services.gateway.demo.pages import router as demo_router
from services.gateway.demo.seed import seed_demo
from services.gateway.edge import Edge
from services.gateway.headers import SecurityHeaders
from services.gateway.hub import Hub
from services.gateway.models import outbox
from services.gateway.openapi import router as openapi_router
from services.gateway.proxy import ServiceClients
from services.gateway.routes_table import EdgePaths
from services.gateway.sites import SiteDirectory
from services.gateway.sockets import router as socket_router
from services.gateway.static import mount_static
from services.gateway.track_ingest import TrackingBacklog, TrackIngestFastPath


def create_app(
    settings: Settings | None = None,
    bus: EventBus | None = None,
    service_apps: Mapping[str, FastAPI] | None = None,
    on_ready: Sequence[Hook] = (),
) -> FastAPI:
    """`service_apps` (embedded mode) are reached in-process, and run inside the gateway's lifespan."""
    settings = settings or get_settings()
    stack = contextlib.AsyncExitStack()

    async def start(runtime: ServiceRuntime) -> None:
        for app in (service_apps or {}).values():
            await stack.enter_async_context(app.router.lifespan_context(app))
        runtime.extras["sites"] = SiteDirectory(runtime)
        runtime.extras["site_origins"] = SiteOrigins(runtime.db)
        runtime.extras["clients"] = ServiceClients(settings, service_apps)
        runtime.extras["hub"] = Hub(runtime.bus)
        runtime.extras["edge"] = Edge(runtime)
        runtime.extras["backlog"] = TrackingBacklog(runtime.bus, settings.track_backlog_limit)
        if settings.demo_seed:
            await seed_demo(runtime)

    async def stop(runtime: ServiceRuntime) -> None:
        seeding = runtime.extras.pop("demo_seed", None)
        if seeding is not None:
            seeding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await seeding
        await runtime.extras["clients"].aclose()
        await runtime.extras["edge"].close()
        await stack.aclose()

    app = create_service_app(
        "gateway",
        settings,
        routers=[api_router, socket_router, demo_router, openapi_router, docs_router],
        bus=bus,
        outbox=outbox,  # site.created/updated/deleted
        on_start=[start, *on_ready],
        on_stop=[stop],
        middleware=[EdgePaths, TrackIngestFastPath],
        docs_url=None,
        openapi_url=None,
        redoc_url=None,
    )
    # embedded: /readyz also asks the in-process services' databases whether they take a write
    app.state.also_ready = [
        runtime.db
        for service in (service_apps or {}).values()
        if (runtime := getattr(service.state, "runtime", None)) is not None
    ]
    app.add_middleware(Cors, settings=settings)
    app.add_middleware(SecurityHeaders, settings=settings)  # outermost: preflights and refusals get them too
    mount_static(app, settings)
    app.include_router(forward_router)
    return app
