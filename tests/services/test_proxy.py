"""The gateway's own HTTP client for the sockets' calls to the services (`ServiceClients.call`)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from services.common.errors import InvalidInput, NotFound, ServiceUnavailable
from services.common.settings import Settings
from services.common.tokens import identity_from_internal
from services.gateway.proxy import ServiceClients
from tests.helpers import free_port, live_server, visitor


def echo_app(settings: Settings) -> FastAPI:
    app = FastAPI()

    @app.post("/api/v1/conversations/{conversation_id}/messages", status_code=201)
    async def post(
        conversation_id: str, request: Request, x_fw_identity: Annotated[str, Header()]
    ) -> dict[str, object]:
        identity = identity_from_internal(x_fw_identity, settings.internal_secret)
        assert request.client is not None
        return {
            "conversation_id": conversation_id,
            "body": await request.json(),
            "visitor_id": identity.visitor_id,
            "client_port": request.client.port,
        }

    @app.get("/api/v1/conversations/{conversation_id}/messages")
    async def get(conversation_id: str, request: Request) -> JSONResponse:
        return JSONResponse({"query": dict(request.query_params)}, status_code=404 if conversation_id == GONE else 200)

    return app


CONVERSATION = "01a235cf-369b-7064-9ff9-49c4a238cf01"
GONE = "01a235cf-369b-7064-9ff9-000000000000"


async def test_calls_carry_identity_body_and_query_and_reuse_one_connection() -> None:
    settings = Settings()
    async with live_server(echo_app(settings)) as url:
        clients = ServiceClients(Settings(chat_url=url))
        guest = visitor()
        try:
            path = f"/api/v1/conversations/{CONVERSATION}/messages"
            first = await clients.call("POST", path, guest, json={"text": "olá", "client_msg_id": "1"})
            assert first.status_code == 201
            body = first.json()
            assert body["conversation_id"] == CONVERSATION
            assert body["body"] == {"text": "olá", "client_msg_id": "1"} and body["visitor_id"] == guest.visitor_id
            template = "/api/v1/conversations/{conversation_id}/messages"
            second = await clients.call(
                "POST", template, guest, json={"text": "again"}, path_params={"conversation_id": CONVERSATION}
            )
            assert second.json()["client_port"] == body["client_port"]  # the same kept-alive connection
            listed = await clients.call("GET", path, guest, params={"after_seq": 3, "q": "a b&c=d"})
            assert listed.status_code == 200 and listed.json() == {"query": {"after_seq": "3", "q": "a b&c=d"}}
            missing = await clients.call("GET", f"/api/v1/conversations/{GONE}/messages", guest)
            assert missing.status_code == 404
        finally:
            await clients.aclose()


@pytest.mark.parametrize(
    ("path", "path_params"),
    [
        ("/api/v1/conversations/a b?c/messages", None),
        ("/api/v1/conversations/x/../y/messages", None),
        ("/api/v1/conversations/../../internal/v1/track/identify", None),
        ("/api/v1/conversations/{conversation_id}/messages", {"conversation_id": "x/../../internal"}),
        ("/api/v1/conversations/{conversation_id}/messages", {"conversation_id": "current"}),
        ("/api/v1/nothing/here", None),
    ],
)
async def test_a_call_off_the_declared_routes_is_refused_before_anything_is_sent(
    path: str, path_params: dict[str, str] | None
) -> None:
    clients = ServiceClients(Settings(chat_url=f"http://127.0.0.1:{free_port()}"))  # nobody there to answer
    try:
        with pytest.raises(NotFound):
            await clients.call("POST", path, visitor(), json={"text": "x"}, path_params=path_params)
    finally:
        await clients.aclose()


async def test_a_call_with_a_body_no_service_may_see_is_refused_before_anything_is_sent() -> None:
    clients = ServiceClients(Settings(chat_url=f"http://127.0.0.1:{free_port()}"))
    path = f"/api/v1/conversations/{CONVERSATION}/messages"
    try:
        for text in ("nul \x00 here", "lone \ud800 surrogate"):
            with pytest.raises(InvalidInput):
                await clients.call("POST", path, visitor(), json={"client_msg_id": "1", "text": text})
    finally:
        await clients.aclose()


@asynccontextmanager
async def forgetful_server() -> AsyncIterator[tuple[str, list[int]]]:
    """Answers the first request of each connection, then closes it when the second arrives (as a server
    whose keep-alive timeout fired just then would)."""
    answered: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        first = True
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            await reader.readexactly(length)
            if not first:
                writer.close()
                return
            first = False
            answered.append(writer.get_extra_info("peername")[1])
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
            await writer.drain()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", answered
    finally:
        server.close()


async def test_a_kept_alive_connection_closed_by_the_service_is_replaced_and_the_request_sent_again() -> None:
    async with forgetful_server() as (url, answered):
        clients = ServiceClients(Settings(chat_url=url))
        try:
            for _ in range(3):
                path = f"/api/v1/conversations/{CONVERSATION}/messages"
                response = await clients.call("POST", path, visitor(), json={"n": 1})
                assert response.status_code == 200 and response.json() == {}
            assert len(answered) == 3 and len(set(answered)) == 3  # each on a new connection
        finally:
            await clients.aclose()


async def test_a_service_that_does_not_answer_is_unavailable() -> None:
    clients = ServiceClients(Settings(chat_url=f"http://127.0.0.1:{free_port()}"))
    try:
        with pytest.raises(ServiceUnavailable):
            await clients.call("GET", f"/api/v1/conversations/{CONVERSATION}/messages", visitor())
    finally:
        await clients.aclose()
