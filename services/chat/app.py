from fastapi import FastAPI

from services.chat.alerts import api as alert_api
from services.chat.alerts.new_chat_sms import SmsAlerts, SmsOnNewChat
from services.chat.api import attachments as attachment_api
from services.chat.api import canned as canned_api
from services.chat.api import contacts as contact_api
from services.chat.api import message_edits as message_edit_api
from services.chat.api import participants as participant_api
from services.chat.api import passive as passive_api
from services.chat.api import queues as queue_api
from services.chat.api import ratings as rating_api
from services.chat.api import reading as reading_api
from services.chat.api import tickets as ticket_api
from services.chat.api.internal import internal
from services.chat.api.routes import router
from services.chat.attachments.storage import from_settings as attachment_store
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
from services.common.events import ConversationRouteRequested, ConversationStarted
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
    sms = SmsAlerts()  # OPS-5: SMS to opted-in operators on a new chat (`alerts/`)
    app = create_service_app(
        "chat",
        settings or get_settings(),
        routers=[
            router,
            message_edit_api.router,
            internal,
            queue_api.router,
            queue_api.internal,
            passive_api.internal,
            participant_api.router,
            participant_api.internal,
            canned_api.router,
            contact_api.router,
            contact_api.internal,
            ticket_api.router,
            attachment_api.router,
            rating_api.router,
            reading_api.internal,
            reading_api.router,
            alert_api.router,
        ],
        outbox=outbox,
        consumers=[
            *CONSUMERS,
            Consumer([ConversationRouteRequested.TYPE], lambda rt: RouteToRuleQueue(rt, frames)),
            Consumer([ConversationStarted.TYPE], lambda rt: SmsOnNewChat(rt, sms)),
        ],
        bus=bus,
        on_start=[frames.start, sweeper.start, routing.start, visitors.start, watch.start, mail.start, sms.start],
        on_stop=[sms.stop, mail.stop, watch.stop, visitors.stop, routing.stop, sweeper.stop, frames.stop],
    )
    app.state.frames = frames
    app.state.attachments = attachment_store(app.state.runtime.settings)  # CHAT-10: local files by default
    app.state.queue_watch = watch
    return app
