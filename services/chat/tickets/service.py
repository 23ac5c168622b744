"""What can happen to a ticket (OFF-1, OFF-2): made from the offline form or from a chat the visitor would not
wait for, answered by operators (the answer stored and queued as email in one transaction: `mailer`),
replied to by email (`inbound`), closed. Each change sends a `ticket.created` / `ticket.updated` frame to the
account's operators, written with the change (`realtime`: published again should the first publish fail)."""

from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.chat import audience, realtime
from services.chat import repository as repo
from services.chat.api.ticket_schemas import (
    ChatToTicketIn,
    OfflineMessageIn,
    TicketCreated,
    TicketDetail,
    TicketMessageOut,
    TicketOut,
)
from services.chat.canned import check_queue
from services.chat.models import mail_outbox, ticket_messages, tickets
from services.chat.realtime import Frame, PendingFrames
from services.chat.tickets.addresses import reply_address
from services.chat.tickets.inbound import read_reply
from services.chat.tickets.mailer import queue_mail
from services.common.db import account_row, utcnow
from services.common.errors import Conflict, NotFound
from services.common.ids import new_id
from services.common.service import ServiceRuntime
from services.common.tokens import Identity

MAX_LISTED = 500


def _missing() -> NotFound:
    return NotFound("No such ticket.", code="ticket_not_found")


def ticket_out(runtime: ServiceRuntime, row: RowMapping | dict[str, Any]) -> TicketOut:
    return TicketOut.model_validate({**dict(row), "email_enabled": bool(runtime.settings.smtp_host)})


def _subject(text: str) -> str:
    first = " ".join(text.split())
    return (first[:77] + "...") if len(first) > 80 else first or "Offline message"


async def _publish(runtime: ServiceRuntime, frames: PendingFrames, frame: Frame) -> None:
    runtime.after_commit()
    await frames.publish(frame)


async def _insert_ticket(conn: AsyncConnection, values: dict[str, Any]) -> RowMapping:
    await conn.execute(insert(tickets).values(**values))
    return await account_row(conn, tickets, values["account_id"], values["id"], _missing())


async def _add_message(conn: AsyncConnection, ticket: RowMapping, **values: Any) -> dict[str, Any]:
    row = {
        "id": new_id(),
        "ticket_id": ticket["id"],
        "account_id": ticket["account_id"],
        "sender_id": None,
        "sender_name": None,
        "created_at": utcnow(),
        **values,
    }
    await conn.execute(insert(ticket_messages).values(**row))
    return row


async def _frame(conn: AsyncConnection, runtime: ServiceRuntime, kind: str, row: RowMapping) -> Frame:
    body = {"type": kind, "ticket": ticket_out(runtime, row).model_dump(mode="json")}
    frame = realtime.stage(row["account_id"], None, body)
    await realtime.add(conn, frame)
    return frame


async def create_offline(
    runtime: ServiceRuntime, frames: PendingFrames, visitor: Identity, body: OfflineMessageIn
) -> TicketCreated:
    """The offline form (EMB-7): a new open ticket with the visitor's message."""
    now = utcnow()
    async with runtime.db.transaction() as conn:
        await check_queue(conn, visitor.account_id, body.queue_id)
        row = await _insert_ticket(
            conn,
            {
                "id": new_id(),
                "account_id": visitor.account_id,
                "site_id": visitor.site_id,
                "visitor_id": visitor.visitor_id,
                "queue_id": body.queue_id,
                "conversation_id": None,
                "name": body.name,
                "email": str(body.email),
                "subject": _subject(body.message),
                "state": "open",
                "origin": "offline_form",
                "created_at": now,
                "updated_at": now,
            },
        )
        await _add_message(
            conn,
            row,
            sender_type="visitor",
            sender_id=visitor.visitor_id,
            sender_name=body.name,
            channel="web",
            text=body.message,
        )
        frame = await _frame(conn, runtime, "ticket.created", row)
    await _publish(runtime, frames, frame)
    return TicketCreated(id=row["id"], state="open", email=row["email"])


async def create_from_chat(
    runtime: ServiceRuntime, frames: PendingFrames, visitor: Identity, conversation_id: str, body: ChatToTicketIn
) -> TicketCreated:
    """OFF-2: the visitor will not wait; their chat so far becomes a ticket and the conversation closes (once: a
    second call answers the ticket it made)."""
    from services.chat import conversations as convs  # the conversation's own rules close it

    now = utcnow()
    async with runtime.db.transaction() as conn:
        chat = await audience.check_visible(
            conn, visitor, await repo.conversation(conn, visitor.account_id, conversation_id)
        )
        if chat["kind"] == "group":
            raise Conflict("A group conversation cannot become a ticket.", code="group_conversation")
        made = select(tickets).where(
            tickets.c.account_id == visitor.account_id, tickets.c.conversation_id == chat["id"]
        )
        if (existing := (await conn.execute(made)).mappings().first()) is not None:  # a retry: the ticket it made
            return TicketCreated(id=existing["id"], state=existing["state"], email=existing["email"])
        said = await repo.messages_after(conn, conversation_id, 0, 1000)
        row = await _insert_ticket(
            conn,
            {
                "id": new_id(),
                "account_id": visitor.account_id,
                "site_id": chat["site_id"],
                "visitor_id": chat["visitor_id"],
                "queue_id": chat["queue_id"],
                "conversation_id": conversation_id,
                "name": body.name,
                "email": str(body.email),
                "subject": _subject(next((m["text"] for m in said if m["sender_type"] == "visitor"), "Chat")),
                "state": "open",
                "origin": "chat",
                "created_at": now,
                "updated_at": now,
            },
        )
        for message in said:
            await _add_message(
                conn,
                row,
                sender_type="operator" if message["sender_type"] == "operator" else "visitor",
                sender_id=message["sender_id"],
                sender_name=message["sender_name"] or (body.name if message["sender_type"] == "visitor" else None),
                channel="chat",
                text=message["text"],
                created_at=message["created_at"],
            )
        frame = await _frame(conn, runtime, "ticket.created", row)
    await _publish(runtime, frames, frame)
    await convs.close(runtime, frames, visitor, conversation_id)
    return TicketCreated(id=row["id"], state="open", email=row["email"])


async def list_tickets(runtime: ServiceRuntime, operator: Identity, state: str) -> list[TicketOut]:
    query = (
        select(tickets)
        .where(tickets.c.account_id == operator.account_id, tickets.c.state == state)
        .order_by(tickets.c.updated_at.desc())
        .limit(MAX_LISTED)
    )
    async with runtime.db.reading() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [ticket_out(runtime, row) for row in rows]


async def _messages(conn: AsyncConnection, ticket_id: str) -> list[TicketMessageOut]:
    query = (
        select(ticket_messages, mail_outbox.c.sent_at, mail_outbox.c.id.label("mail_id"))
        .outerjoin(mail_outbox, mail_outbox.c.id == ticket_messages.c.id)
        .where(ticket_messages.c.ticket_id == ticket_id)
        .order_by(ticket_messages.c.created_at, ticket_messages.c.id)
    )
    out = []
    for row in (await conn.execute(query)).mappings():
        status = None if row["mail_id"] is None else ("sent" if row["sent_at"] is not None else "queued")
        out.append(TicketMessageOut.model_validate({**dict(row), "email_status": status}))
    return out


async def get_ticket(runtime: ServiceRuntime, operator: Identity, ticket_id: str) -> TicketDetail:
    async with runtime.db.reading() as conn:
        row = await account_row(conn, tickets, operator.account_id, ticket_id, _missing())
        messages = await _messages(conn, ticket_id)
    return TicketDetail.model_validate({**ticket_out(runtime, row).model_dump(), "messages": messages})


def reply_body(text: str, operator_name: str | None) -> str:
    who = f"{operator_name}\n" if operator_name else ""
    return f"{text}\n\n-- \n{who}Reply to this email to answer; your reply reaches us directly.\n"


async def reply(
    runtime: ServiceRuntime, frames: PendingFrames, operator: Identity, ticket_id: str, text: str
) -> TicketMessageOut:
    """An operator's answer: stored, and queued as an email to the visitor in the same transaction."""
    async with runtime.db.transaction() as conn:
        row = await account_row(conn, tickets, operator.account_id, ticket_id, _missing())
        message = await _add_message(
            conn,
            row,
            sender_type="operator",
            sender_id=operator.user_id,
            sender_name=operator.name,
            channel="email",
            text=text,
        )
        await queue_mail(
            conn,
            mail_id=message["id"],
            account_id=row["account_id"],
            kind="reply",
            ticket_id=ticket_id,
            to=row["email"],
            reply_to=reply_address(runtime.settings, ticket_id),
            subject=f"Re: {row['subject']}",
            body=reply_body(text, operator.name),
        )
        row = await _change(conn, row, "answered")
        frame = await _frame(conn, runtime, "ticket.updated", row)
    await _publish(runtime, frames, frame)
    return TicketMessageOut.model_validate({**message, "email_status": "queued"})


async def _change(conn: AsyncConnection, row: RowMapping, state: str) -> RowMapping:
    await conn.execute(update(tickets).where(tickets.c.id == row["id"]).values(state=state, updated_at=utcnow()))
    return await account_row(conn, tickets, row["account_id"], row["id"], _missing())


async def close_ticket(runtime: ServiceRuntime, frames: PendingFrames, operator: Identity, ticket_id: str) -> TicketOut:
    async with runtime.db.transaction() as conn:
        row = await account_row(conn, tickets, operator.account_id, ticket_id, _missing())
        if row["state"] == "closed":
            return ticket_out(runtime, row)
        row = await _change(conn, row, "closed")
        frame = await _frame(conn, runtime, "ticket.updated", row)
    await _publish(runtime, frames, frame)
    return ticket_out(runtime, row)


async def receive_email(runtime: ServiceRuntime, frames: PendingFrames, raw: bytes) -> TicketMessageOut:
    """A visitor's reply by email: appended to its ticket, which opens again."""
    found = read_reply(runtime.settings, raw)
    async with runtime.db.transaction() as conn:
        query = select(tickets).where(tickets.c.id == found.ticket_id)
        row = (await conn.execute(query)).mappings().first()
        if row is None:
            raise NotFound("No such ticket.", code="ticket_not_found")
        message = await _add_message(
            conn, row, sender_type="visitor", sender_name=row["name"], channel="email", text=found.text
        )
        row = await _change(conn, row, "open")
        frame = await _frame(conn, runtime, "ticket.updated", row)
    await _publish(runtime, frames, frame)
    return TicketMessageOut.model_validate(message)
