"""Outbound email, durable: `queue_mail` writes a `mail_outbox` row in the caller's transaction; `MailSender`
(every replica) sends the due rows with aiosmtplib. A row is claimed by a conditional UPDATE (its
`next_attempt_at` moved `LEASE_SECONDS` ahead: one replica sends it), sent, then marked `sent_at`; an SMTP
failure sets the next attempt after a backoff (1 s, 2 s, 4 s ... at most `MAX_BACKOFF_SECONDS`). Nothing is
lost while the server is down; SMTP_HOST empty: rows stay queued. Bodies are plain text, never HTML."""

import logging
from datetime import datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat.models import mail_outbox
from services.common.db import utcnow
from services.common.periodic import Periodic
from services.common.service import ServiceRuntime
from services.common.settings import Settings

log = logging.getLogger("floorwalker.chat.mail")
LEASE_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 300.0
BATCH = 20
SMTP_TIMEOUT = 10.0


def _one_line(text: str, limit: int = 200) -> str:
    """A header value: no line breaks (the email package refuses them: no header injection)."""
    return " ".join(text.split())[:limit]


async def queue_mail(
    conn: AsyncConnection,
    *,
    mail_id: str,
    account_id: str,
    kind: str,
    to: str,
    subject: str,
    body: str,
    ticket_id: str | None = None,
    conversation_id: str | None = None,
    reply_to: str | None = None,
) -> None:
    now = utcnow()
    values = {
        "id": mail_id,
        "account_id": account_id,
        "ticket_id": ticket_id,
        "conversation_id": conversation_id,
        "kind": kind,
        "to_address": to,
        "reply_to": reply_to,
        "subject": _one_line(subject, 300),
        "body": body,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }
    await conn.execute(insert(mail_outbox).values(**values))


def build_message(settings: Settings, row: dict[str, object]) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = str(row["to_address"])
    if row.get("reply_to"):
        message["Reply-To"] = str(row["reply_to"])
    message["Subject"] = str(row["subject"])
    message["Message-ID"] = f"<{row['id']}@{settings.mail_reply_domain}>"
    message.set_content(str(row["body"]))  # text/plain; utf-8
    return message


def backoff(attempts: int) -> float:
    return float(min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


class MailSender(Periodic):
    interval = 0.5

    async def tick(self, runtime: ServiceRuntime) -> None:
        settings = runtime.settings
        if not settings.smtp_host:
            return
        now = utcnow()
        query = (
            select(mail_outbox)
            .where(mail_outbox.c.sent_at.is_(None), mail_outbox.c.next_attempt_at <= now)
            .order_by(mail_outbox.c.next_attempt_at)
            .limit(BATCH)
        )
        async with runtime.db.reading() as conn:
            due = [dict(row) for row in (await conn.execute(query)).mappings()]
        for row in due:
            if await self._claim(runtime, row["id"], row["next_attempt_at"], now):
                await self._send(runtime, row)

    async def _claim(self, runtime: ServiceRuntime, mail_id: str, due: datetime, now: datetime) -> bool:
        lease = now + timedelta(seconds=LEASE_SECONDS)
        async with runtime.db.transaction() as conn:
            claimed = await conn.execute(
                update(mail_outbox)
                .where(
                    mail_outbox.c.id == mail_id, mail_outbox.c.sent_at.is_(None), mail_outbox.c.next_attempt_at == due
                )
                .values(next_attempt_at=lease)
            )
        return claimed.rowcount == 1

    async def _send(self, runtime: ServiceRuntime, row: dict[str, object]) -> None:
        settings = runtime.settings
        attempts = int(str(row["attempts"])) + 1
        try:
            await aiosmtplib.send(
                build_message(settings, row),
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username or None,
                password=settings.smtp_password or None,
                start_tls=settings.smtp_starttls,
                timeout=SMTP_TIMEOUT,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            log.warning("mail %s: sending failed (attempt %d); retrying", row["id"], attempts)
            retry = utcnow() + timedelta(seconds=backoff(attempts))
            values: dict[str, object] = {"attempts": attempts, "next_attempt_at": retry, "last_error": str(exc)[:500]}
        else:
            values = {"attempts": attempts, "sent_at": utcnow(), "last_error": None}
        async with runtime.db.transaction() as conn:
            await conn.execute(update(mail_outbox).where(mail_outbox.c.id == row["id"]).values(**values))
