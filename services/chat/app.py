from fastapi import FastAPI

from services.chat.api import canned as canned_api
from services.chat.api import participants as participant_api
from services.chat.api import passive as passive_api
from services.chat.api import queues as queue_api
from services.chat.api import tickets as ticket_api
from services.chat.api.internal import internal
from services.chat.api.routes import router
from services.chat.consumers import CONSUMERS
from services.chat.models import outbox
from services.chat.presence import PresenceSweeper
from services.chat.realtime import PendingFrames
from services.chat.routing.offers import RoutingSweeper
from services.chat.routing.rule_queue import RouteToRuleQueue
from services.chat.routing.visitors import VisitorSweeper
from services.chat.routing.watch import QueueWatch
from services.chat.tickets.mailer import MailSender
from services.common.bus import EventBus
from services.common.events import ConversationRouteRequested
from services.common.service import Consumer, create_service_app
from services.common.settings import Settings, get_settings


def create_app(settings: Settings | None = None, bus: EventBus | None = None) -> FastAPI:
    """Chat's app. A database unavailable under a request (connection lost, SQLite locked, PostgreSQL ending
    the session) is a 503 the client retries, as in every service (`failures`): a message is stored once
    whatever it retries."""
    frames = PendingFrames()
    sweeper = PresenceSweeper(frames)
    routing = RoutingSweeper(frames)
    visitors = VisitorSweeper(frames)
    watch = QueueWatch(frames)
    mail = MailSender()
    app = create_service_app(
        "chat",
        settings or get_settings(),
        routers=[
            router,
            internal,
            queue_api.router,
            queue_api.internal,
            passive_api.internal,
            participant_api.router,
            participant_api.internal,
            canned_api.router,
            ticket_api.router,
        ],
        outbox=outbox,
        consumers=[*CONSUMERS, Consumer([ConversationRouteRequested.TYPE], lambda rt: RouteToRuleQueue(rt, frames))],
        bus=bus,
        on_start=[frames.start, sweeper.start, routing.start, visitors.start, watch.start, mail.start],
        on_stop=[mail.stop, watch.stop, visitors.stop, routing.stop, sweeper.stop, frames.stop],
    )
    app.state.frames = frames
    app.state.queue_watch = watch
    return app
