"""How much a socket, and a visitor over all their sockets, may send (SEC-4 for sockets).

Fixed windows of `WINDOW` seconds:
- every frame of a socket counts against `WS_FRAMES_PER_10S` (resumes after a reconnect, pings, ...);
- each `message.send` of a socket against `WS_MESSAGES_PER_10S`;
- each `typing` frame of a socket against `WS_TYPING_PER_10S` (sneak-peek: the widget sends at most 5 a second);
- each `message.send` of a visitor, whichever socket and gateway replica it comes through, against
  `WS_VISITOR_MESSAGES_PER_10S`: counted in Redis when distributed (`ratelimit.RateLimiter`, the REST limits'
  fixed windows), in memory when embedded.

A frame over a limit is not acted on: the client gets a `rate_limited` error frame with `retry_after`
(seconds until the window ends). A socket whose frames pass `ABUSE_FACTOR` times a per-socket limit within
one window does not stop when told: it is closed (1008). A limit of 0 is no limit.
"""

import logging
import math
import time
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from services.common.errors import TooManyRequests
from services.common.settings import Settings
from services.gateway.ratelimit import Limit, RateLimiter

log = logging.getLogger("floorwalker.gateway.sockets")
WINDOW = 10.0
ABUSE_FACTOR = 3
REDIS_WARNING_INTERVAL = 60.0


class RateLimited(Exception):
    def __init__(self, what: str, retry_after: float) -> None:
        super().__init__(f"Too many {what}; wait {retry_after:.1f} s.")
        self.what = what
        self.retry_after = round(max(retry_after, 0.001), 3)


class Abusive(Exception):
    """The socket kept sending far past its limit: close it."""


@dataclass
class Window:
    """One fixed-window counter of one socket, in memory."""

    limit: int
    what: str
    end: float = 0.0
    count: int = 0

    def hit(self, now: float) -> None:
        if self.limit <= 0:
            return
        if now >= self.end:
            self.end = (math.floor(now / WINDOW) + 1) * WINDOW
            self.count = 0
        self.count += 1
        if self.count > ABUSE_FACTOR * self.limit:
            raise Abusive(f"{self.what} far over the limit")
        if self.count > self.limit:
            raise RateLimited(self.what, self.end - now)


@dataclass
class SocketLimits:
    """The limits of one socket; `visitor_id` (visitor sockets) adds the shared per-visitor limit."""

    settings: Settings
    limiter: RateLimiter
    visitor_id: str | None
    frames: Window = field(init=False)
    messages: Window = field(init=False)
    typing: Window = field(init=False)

    def __post_init__(self) -> None:
        self.frames = Window(self.settings.ws_frames_per_10s, "frames")
        self.messages = Window(self.settings.ws_messages_per_10s, "messages")
        self.typing = Window(self.settings.ws_typing_per_10s, "typing signals")

    def typing_signal(self) -> None:
        """Count a `typing` frame (raises `RateLimited` or `Abusive`)."""
        self.typing.hit(time.time())

    def frame(self) -> None:
        """Count a frame of any type (raises `RateLimited` or `Abusive`)."""
        self.frames.hit(time.time())

    async def message(self) -> None:
        """Count a `message.send` (raises `RateLimited` or `Abusive`)."""
        self.messages.hit(time.time())
        if self.visitor_id is None:
            return
        limit = Limit(f"wsv:{self.visitor_id}", self.settings.ws_visitor_messages_per_10s, WINDOW, "visitor")
        try:
            await self.limiter.check(limit)
        except TooManyRequests:
            now = time.time()
            raise RateLimited("messages from this visitor", (math.floor(now / WINDOW) + 1) * WINDOW - now) from None
        except RedisError:  # Redis away: the per-socket limits still hold; chat goes on
            _warn_redis_away()


_warned_at = 0.0


def _warn_redis_away() -> None:
    global _warned_at
    now = time.monotonic()
    if now - _warned_at > REDIS_WARNING_INTERVAL:
        _warned_at = now
        log.warning("the per-visitor socket limit is not counted: Redis does not answer", exc_info=True)
