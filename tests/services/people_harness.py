"""Who is in a conversation, on the chat service alone (SQLite + memory bus, or PostgreSQL + Redis): operators
made known and online, conversations started and accepted, and the frames each channel received."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.chat.app import create_app
from services.common.settings import Settings
from services.common.tokens import Identity
from tests.helpers import as_identity, eventually, running, visitor


def user(role: str, name: str, account_id: str) -> Identity:
    return Identity(kind="user", account_id=account_id, user_id=str(uuid.uuid4()), role=role, name=name)  # type: ignore[arg-type]


@dataclass
class Chat:
    """The chat app, one account (a fresh id) with its people, and the frames of every channel listened to."""

    settings: Settings
    client: httpx.AsyncClient
    bus: Any
    account_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    frames: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def headers(self, identity: Identity) -> dict[str, str]:
        return as_identity(self.settings, identity)

    def operator(self, name: str, role: str = "operator", account_id: str | None = None) -> Identity:
        return user(role, name, account_id or self.account_id)

    def visitor(self) -> Identity:
        return visitor(account_id=self.account_id, site_id="site-1")

    async def online(self, *people: Identity, status: str = "online") -> None:
        for person in people:
            answer = await self.client.put("/api/v1/me/presence", json={"status": status}, headers=self.headers(person))
            assert answer.status_code == 200, answer.text

    async def listen(self, *channels: str) -> None:
        for channel in channels:
            if channel in self.frames:
                continue
            self.frames[channel] = []

            async def got(name: str, frame: dict[str, Any]) -> None:
                self.frames.setdefault(name, []).append(frame)

            await self.bus.subscribe(channel, got)

    async def hear(self, who: Identity) -> str:
        """Listen to what the console of `who` joins (`gateway.hub.operator_channels`): their own channels."""
        channels = [f"operator:{who.account_id}:{who.user_id}", f"operators:{who.account_id}"]
        if who.role != "operator":
            channels = [f"account:{who.account_id}"]
        await self.listen(*channels)
        return channels[0]

    def heard(self, who: Identity, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Frames the console of `who` received (an operator: their channels; a visitor: theirs), of one conversation."""
        if who.is_user and who.role == "operator":
            channels = [f"operator:{who.account_id}:{who.user_id}", f"operators:{who.account_id}"]
        elif who.is_user:
            channels = [f"account:{who.account_id}"]
        else:
            channels = [f"visitor:{who.visitor_id}"]
        found = [f for c in channels for f in self.frames.get(c, [])]
        return [f for f in found if conversation_id is None or about(f) == conversation_id]

    async def heard_soon(self, who: Identity, kind: str, conversation_id: str, count: int = 1) -> list[dict[str, Any]]:
        def of_kind() -> list[dict[str, Any]]:
            return [f for f in self.heard(who, conversation_id) if f["type"] == kind]

        assert await eventually(lambda: len(of_kind()) >= count), f"{who.name} never got {kind}: {self.heard(who)}"
        return of_kind()

    async def start(self, guest: Identity, text: str = "Hello?") -> dict[str, Any]:
        answer = await self.client.post(
            "/api/v1/conversations", json={"text": text, "client_msg_id": "first"}, headers=self.headers(guest)
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def accepted(self, guest: Identity, by: Identity, text: str = "Hello?") -> dict[str, Any]:
        conversation = await self.start(guest, text)
        answer = await self.client.post(f"/api/v1/conversations/{conversation['id']}/accept", headers=self.headers(by))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def say(self, who: Identity, conversation_id: str, text: str) -> httpx.Response:
        body = {"client_msg_id": str(uuid.uuid4()), "text": text}
        url = f"/api/v1/conversations/{conversation_id}/messages"
        return await self.client.post(url, json=body, headers=self.headers(who))

    async def history(self, who: Identity, conversation_id: str) -> httpx.Response:
        return await self.client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=self.headers(who))


def about(frame: dict[str, Any]) -> str | None:
    """The conversation a frame is about."""
    if isinstance(frame.get("conversation"), dict):
        return str(frame["conversation"]["id"])
    if isinstance(frame.get("message"), dict):
        return str(frame["message"]["conversation_id"])
    return None


def code_of(answer: httpx.Response) -> tuple[int, str]:
    return answer.status_code, answer.json().get("error", {}).get("code", "")


@asynccontextmanager
async def chat(settings: Settings) -> AsyncIterator[Chat]:
    app = create_app(settings)
    async with running(app) as client:
        yield Chat(settings, client, app.state.runtime.bus)
