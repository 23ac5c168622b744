"""The gateway: the only public origin (API, sockets, SPAs, demo shop)."""

import asyncio
import contextlib
from collections.abc import Mapping, Sequence

from fastapi import FastAPI

from services.common.bus import EventBus
from services.common.failures import UnhandledErrors
from services.common.service import Hook, ServiceRuntime, create_service_app
from services.common.settings import Settings, get_settings
from services.gateway.api.forward import router as forward_router
from services.gateway.api.photos import router as photos_router
from services.gateway.api.routes import router as api_router
from services.gateway.api_docs import router as docs_router
from services.gateway.consoles import ConsoleBeats
from services.gateway.cors import Cors, SiteOrigins
from services.gateway.demo.pages import router as demo_router
from services.gateway.demo.seed import seed_demo
from services.gateway.edge import Edge
from services.gateway.engage.desk import InvitationDesk
from services.gateway.engage.groups import router as group_router
from services.gateway.engage.routes import router as engage_router
from services.gateway.engage.store import pending_invitations
from services.gateway.headers import SecurityHeaders
from services.gateway.hub import Hub
from services.gateway.models import outbox
from services.gateway.openapi import router as openapi_router
from services.gateway.passive import ButtonPaths
from services.gateway.proxy import ServiceClients
from services.gateway.routes_table import EdgePaths
from services.gateway.sites import SiteDirectory
from services.gateway.sockets import SocketFastPath
from services.gateway.sockets import router as socket_router
from services.gateway.state import GatewayState, app_gateway_state
from services.gateway.static import mount_static
from services.gateway.token_first import TokenFirst
from services.gateway.track_ingest import TrackingBacklog, TrackIngestFastPath
from services.gateway.visitor_beats import VisitorBeats


def create_app(
    settings: Settings | None = None,
    bus: EventBus | None = None,
    service_apps: Mapping[str, FastAPI] | None = None,
    on_ready: Sequence[Hook] = (),
    on_stop: Sequence[Hook] = (),
) -> FastAPI:
    """`service_apps` (embedded mode) are reached in-process, and run inside the gateway's lifespan."""
    settings = settings or get_settings()
    stack = contextlib.AsyncExitStack()

    async def start(runtime: ServiceRuntime) -> None:
        for service_app in (service_apps or {}).values():
            await stack.enter_async_context(service_app.router.lifespan_context(service_app))
        hub, clients = Hub(runtime.bus), ServiceClients(settings, service_apps)
        invitations = pending_invitations(settings.redis_url, settings.redis_prefix)
        state = app.state.gateway = GatewayState(
            sites=SiteDirectory(runtime),
            site_origins=SiteOrigins(runtime.db),
            clients=clients,
            hub=hub,
            edge=Edge(runtime),
            backlog=TrackingBacklog(runtime.bus, settings.track_backlog_limit),
            invitations=InvitationDesk(runtime, hub, clients, invitations),
        )
        await state.invitations.start()
        state.consoles = ConsoleBeats(clients, settings.presence_heartbeat_seconds)
        state.button_paths = ButtonPaths(clients)
        state.visitors = VisitorBeats(clients, settings.presence_heartbeat_seconds)
        if settings.demo_seed:
            state.demo_seed = await seed_demo(runtime, state.clients)

    async def stop(runtime: ServiceRuntime) -> None:
        state = app_gateway_state(app)
        if state.demo_seed is not None:
            state.demo_seed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await state.demo_seed
        if state.consoles is not None:
            await state.consoles.stop()
        if state.visitors is not None:
            await state.visitors.stop()
        await state.invitations.stop()
        await state.clients.aclose()
        await state.edge.close()
        await stack.aclose()

    app = create_service_app(
        "gateway",
        settings,
        routers=[
            api_router,
            photos_router,
            engage_router,
            group_router,
            socket_router,
            demo_router,
            openapi_router,
            docs_router,
        ],
        bus=bus,
        outbox=outbox,  # site.created/updated/deleted, invitation.shown/accepted/closed/expired
        on_start=[start, *on_ready],
        on_stop=[*on_stop, stop],
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
    app.add_middleware(TokenFirst)  # no valid token: 401 before any body is read (even by the input guard)
    app.add_middleware(Cors, settings=settings)
    app.add_middleware(UnhandledErrors)  # a failure of the CORS check too is a JSON 500/503 with the headers
    app.add_middleware(SecurityHeaders, settings=settings)  # outermost: preflights and refusals get them too
    app.add_middleware(SocketFastPath)  # sockets skip every HTTP layer (they would stay under each for hours)
    mount_static(app, settings)
    app.include_router(forward_router)
    return app
