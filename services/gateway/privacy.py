"""Data protection exports: everything stored about a visitor or a contact, across the services.

Tracking answers with the visitors (a contact has several), their visits, products and searches; chat
adds each visitor's conversations with their messages. Erasure needs no gateway logic: tracking
deletes and emits `visitor.erased`, which chat consumes to delete the conversations.
"""

import asyncio
import re
from typing import Any, Literal

from fastapi import Response
from fastapi.responses import JSONResponse

from services.common.errors import NotFound
from services.common.tokens import Identity
from services.gateway.proxy import ServiceClients, UpstreamResponse

# Ids are UUIDs; anything else cannot be stored, and must not reach a service's path unescaped.
ID = re.compile(r"^[A-Za-z0-9_.~-]{1,64}$")
CHAT_CALLS_AT_ONCE = 8  # a contact may have many visitors: their conversations are fetched a few at a time

Subject = Literal["visitors", "contacts"]


def _passed_on(answer: UpstreamResponse) -> Response:
    return Response(answer.content, status_code=answer.status_code, media_type="application/json")


async def export(clients: ServiceClients, admin: Identity, subject: Subject, subject_id: str) -> Response:
    """Tracking's export of a visitor or contact plus `conversations`: those of every visitor in it
    (`admin` was checked by the route).

    An error of tracking (404 for a visitor of another account, ...) or of chat is passed on as it is.
    """
    if not ID.fullmatch(subject_id):
        what = "visitor" if subject == "visitors" else "contact"
        raise NotFound(f"No such {what}.", code=f"{what}_not_found")
    tracked = await clients.call("GET", f"/api/v1/{subject}/{subject_id}/export", admin)
    if tracked.status_code != 200:
        return _passed_on(tracked)
    data: dict[str, Any] = tracked.json()
    visitor_ids = [str(v["id"]) for v in data.get("visitors") or []]
    slots = asyncio.Semaphore(CHAT_CALLS_AT_ONCE)

    async def conversations_of(visitor_id: str) -> UpstreamResponse:
        async with slots:
            return await clients.call("GET", "/api/v1/conversations/export", admin, params={"visitor_id": visitor_id})

    answers = await asyncio.gather(*(conversations_of(v) for v in visitor_ids))
    conversations: list[dict[str, Any]] = []
    for answer in answers:
        if answer.status_code != 200:
            return _passed_on(answer)
        conversations.extend(answer.json()["conversations"])
    data["conversations"] = conversations
    return JSONResponse(data)
