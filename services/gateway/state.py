"""The gateway's parts, made when it starts (`app.create_app`) and kept on `app.state.gateway`.

Routes take them as the `Gateway` dependency; code holding a request or a socket calls `gateway_state`.
"""

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends
from starlette.applications import Starlette
from starlette.requests import HTTPConnection

from services.common.errors import ServiceUnavailable

if TYPE_CHECKING:  # these modules reach the state themselves
    from services.gateway.consoles import ConsoleBeats
    from services.gateway.cors import SiteOrigins
    from services.gateway.edge import Edge
    from services.gateway.engage.desk import InvitationDesk
    from services.gateway.hub import Hub
    from services.gateway.passive import ButtonPaths
    from services.gateway.proxy import ServiceClients
    from services.gateway.sites import SiteDirectory
    from services.gateway.track_ingest import TrackingBacklog
    from services.gateway.visitor_beats import VisitorBeats


@dataclass
class GatewayState:
    sites: "SiteDirectory"  # the sites the edge admits visitors of (cached)
    site_origins: "SiteOrigins"  # every site's allowed origins, for CORS preflights
    clients: "ServiceClients"  # the services behind the gateway
    hub: "Hub"  # the sockets, by channel
    edge: "Edge"  # addresses, robots, block lists, rate limits
    backlog: "TrackingBacklog"  # whether tracking keeps up with the page views accepted
    invitations: "InvitationDesk"  # invitations on the visitors' screens, waiting for an answer
    consoles: "ConsoleBeats | None" = None  # operator sockets held, reported to chat (presence)
    button_paths: "ButtonPaths | None" = None  # passive mode: where each site's chat button shows
    visitors: "VisitorBeats | None" = None  # visitor sockets held, reported to chat (waiting chats' visitors)
    demo_seed: asyncio.Task[None] | None = None  # the demo shop's tracking settings, being stored
    openapi: dict[str, Any] | None = None  # the merged OpenAPI document, once every service gave its part


def app_gateway_state(app: Starlette) -> GatewayState:
    state: GatewayState | None = getattr(app.state, "gateway", None)
    if state is None:
        raise ServiceUnavailable("The gateway is not running.")
    return state


def gateway_state(connection: HTTPConnection) -> GatewayState:
    """The state of the gateway serving this request or socket."""
    return app_gateway_state(connection.app)


Gateway = Annotated[GatewayState, Depends(gateway_state)]
