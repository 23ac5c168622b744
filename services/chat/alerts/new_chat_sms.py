"""An SMS to each opted-in operator who is online when a visitor starts a chat (`conversation.started`).

The consumer only picks the recipients and records one send per (conversation, operator) (an event handled twice
sends once); the SMS themselves go out in background tasks, each attempt bounded by the provider's timeout and
retried with a backoff, so the bus (and, embedded, the request that started the chat) never waits on the provider.
A failure is logged and counted (`fw_sms_sent_total{outcome}`), never raised."""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client import Counter
from sqlalchemy import select

from services.chat.alerts.sms import SmsError, SmsProvider, provider_from_settings
from services.chat.alerts.tables import operator_alert_sends, operator_alerts
from services.chat.models import operators
from services.common.bus import BatchEventHandler
from services.common.db import upsert_insert, utcnow
from services.common.events import ConversationStarted, Event, payloads
from services.common.service import ServiceRuntime

log = logging.getLogger("floorwalker.chat.sms")
SMS_SENT = Counter("fw_sms_sent_total", "SMS alerts to operators, by outcome", ["outcome"])
ATTEMPTS = 3
BACKOFF_SECONDS = (0.5, 1.0)
BODY = "Floorwalker: a visitor started a chat and is waiting for an answer."


@dataclass(frozen=True)
class Recipient:
    account_id: str
    user_id: str
    phone: str


class SmsAlerts:
    """The background sends of one chat replica (started and stopped with the app)."""

    def __init__(self) -> None:
        self.provider: SmsProvider | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self, runtime: ServiceRuntime) -> None:
        self.provider = provider_from_settings(runtime.settings)

    async def stop(self, runtime: ServiceRuntime) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks.clear()

    def send_later(self, recipient: Recipient, body: str) -> None:
        if self.provider is None:
            return
        task = asyncio.create_task(self._send(self.provider, recipient, body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, provider: SmsProvider, recipient: Recipient, body: str) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await provider.send(recipient.phone, body)
            except SmsError as failure:
                last = attempt == ATTEMPTS or not failure.retryable
                log.warning(
                    "sms to operator %s failed (attempt %d of %d): %s",
                    recipient.user_id,
                    attempt,
                    ATTEMPTS,
                    failure.reason,
                )
                if last:
                    SMS_SENT.labels("failed").inc()
                    return
                await asyncio.sleep(BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)])
            except Exception:  # a provider bug must not take the replica's tasks down
                log.exception("sms to operator %s failed", recipient.user_id)
                SMS_SENT.labels("failed").inc()
                return
            else:
                SMS_SENT.labels("sent").inc()
                log.info("sms sent to operator %s", recipient.user_id)
                return


async def claim_recipients(runtime: ServiceRuntime, account_id: str, conversation_id: str) -> list[Recipient]:
    """The account's online operators who opted in, each claimed once for this conversation."""
    query = (
        select(operator_alerts.c.user_id, operator_alerts.c.phone)
        .join(
            operators,
            (operators.c.account_id == operator_alerts.c.account_id)
            & (operators.c.user_id == operator_alerts.c.user_id),
        )
        .where(
            operator_alerts.c.account_id == account_id,
            operator_alerts.c.sms_enabled.is_(True),
            operator_alerts.c.phone.is_not(None),
            operators.c.status == "online",
        )
    )
    claimed: list[Recipient] = []
    async with runtime.db.transaction() as conn:
        for row in (await conn.execute(query)).mappings().all():
            values = {
                "conversation_id": conversation_id,
                "user_id": row["user_id"],
                "account_id": account_id,
                "created_at": utcnow(),
            }
            insert = upsert_insert(conn, operator_alert_sends).values(**values).on_conflict_do_nothing()
            if (await conn.execute(insert)).rowcount:
                claimed.append(Recipient(account_id, str(row["user_id"]), str(row["phone"])))
    return claimed


class SmsOnNewChat(BatchEventHandler):
    def __init__(self, runtime: ServiceRuntime, alerts: SmsAlerts) -> None:
        self.runtime = runtime
        self.alerts = alerts

    async def handle_batch(self, events: Sequence[Event]) -> None:
        if self.alerts.provider is None:
            return  # no SMS configured: nothing is claimed, nothing is owed
        started = payloads(events, ConversationStarted, log)
        for event in events:
            payload = started.get(event.id)
            if payload is None or (payload.invitation_id and not payload.rule_id):
                continue  # an operator's own call is theirs already: nobody to alert
            for recipient in await claim_recipients(self.runtime, event.account_id, payload.conversation_id):
                self.alerts.send_later(recipient, BODY)
