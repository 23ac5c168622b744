"""Transcripts by email (OFF-3, EMB-10): a conversation's messages as plain text, queued in `mail_outbox`. The
conversation's visitor or an operator who sees it may ask; the text is never interpreted (plain text)."""

from collections.abc import Sequence

from sqlalchemy import RowMapping, func, select

from services.chat import audience
from services.chat import repository as repo
from services.chat.api.ticket_schemas import Accepted
from services.chat.models import mail_outbox
from services.chat.tickets.mailer import queue_mail
from services.common.errors import Conflict
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

MAX_MESSAGES = 1000
MAX_TRANSCRIPTS = 5  # per conversation: the address is the caller's to choose, so this is no way to send mail


def transcript_text(conversation: RowMapping, said: Sequence[RowMapping]) -> str:
    started = conversation["created_at"].strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Your chat of {started}", ""]
    for message in said:
        who = message["sender_name"] or ("You" if message["sender_type"] == "visitor" else "Operator")
        lines.append(f"[{message['created_at'].strftime('%H:%M')}] {who}: {message['text']}")
    if not said:
        lines.append("(no messages)")
    return "\n".join(lines) + "\n"


async def send_transcript(runtime: ServiceRuntime, caller: Identity, conversation_id: str, email: str) -> Accepted:
    async with runtime.db.transaction() as conn:
        row = await repo.conversation(conn, caller.account_id, conversation_id)
        conversation = await audience.check_visible(conn, caller, row)
        asked = select(func.count()).where(
            mail_outbox.c.conversation_id == conversation_id, mail_outbox.c.kind == "transcript"
        )
        if (await conn.scalar(asked) or 0) >= MAX_TRANSCRIPTS:
            raise Conflict(
                f"A conversation's transcript is sent at most {MAX_TRANSCRIPTS} times.", code="too_many_transcripts"
            )
        said = await repo.messages_after(conn, conversation_id, 0, MAX_MESSAGES)
        await queue_mail(
            conn,
            mail_id=new_id(),
            account_id=caller.account_id,
            kind="transcript",
            conversation_id=conversation_id,
            to=email,
            subject="Your chat transcript",
            body=transcript_text(conversation, said),
        )
    return Accepted(email_enabled=bool(runtime.settings.smtp_host))
