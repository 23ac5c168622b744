"""A queue's external router (`external_webhook`): asked which operator gets a new chat.

`POST <the queue's webhook_url>` with a JSON body `{conversation_id, queue_id, visitor_id, site_id, candidates:
[{user_id, load, max_chats, priority}]}` (the members online with room, at the time of asking) and the headers
`X-Floorwalker-Timestamp` (Unix seconds) and `X-Floorwalker-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<body>" with the queue's secret>`. It answers 200 `{"user_id": "<one of the candidates>"}` within
`ROUTING_WEBHOOK_TIMEOUT_SECONDS`. Anything else (a timeout, a refused connection, another status, a body that
is not that JSON, a user who is not a candidate) is None: the chat goes to the least busy instead. Never raises.

A supervisor sets the URL, so it must not reach what only the server can: a host that resolves to a loopback,
private, link-local or otherwise non-public address is not asked (least busy instead) unless
`ROUTING_WEBHOOK_PRIVATE_ADDRESSES` allows it (a router inside the company's own network). The check is made on
each call, on the addresses the name resolves to then.
"""

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

log = logging.getLogger("floorwalker.chat.routing.webhook")
SIGNATURE_HEADER = "X-Floorwalker-Signature"
TIMESTAMP_HEADER = "X-Floorwalker-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


async def reaches_only_public_addresses(url: str) -> bool:
    """Whether every address the URL's host resolves to now is a public one (False if it does not resolve)."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return False
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
        addresses = {ipaddress.ip_address(info[4][0]) for info in found}
    except (OSError, ValueError):
        return False
    return bool(addresses) and all(address.is_global for address in addresses)


async def ask(
    url: str, secret: str, payload: dict[str, Any], within: float, *, private_addresses: bool = False
) -> str | None:
    """The operator the router picks among `payload["candidates"]`, or None (any failure, or a URL that reaches a
    non-public address while `private_addresses` is False)."""
    if not private_addresses and not await reaches_only_public_addresses(url):
        log.warning("routing webhook %s does not resolve to public addresses only: least busy instead", url)
        return None
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    headers = {
        "content-type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }
    candidates = {c["user_id"] for c in payload["candidates"]}
    try:
        async with asyncio.timeout(within), httpx.AsyncClient(timeout=within, follow_redirects=False) as client:
            answer = await client.post(url, content=body, headers=headers)
        picked = answer.json().get("user_id") if answer.status_code == 200 else None
    except Exception as exc:  # a timeout, a refused connection, a body that is not JSON or not an object
        log.warning("routing webhook %s failed (%s): least busy instead", url, type(exc).__name__)
        return None
    if not isinstance(picked, str) or picked not in candidates:
        log.warning("routing webhook %s answered %s without a candidate: least busy instead", url, answer.status_code)
        return None
    return picked
