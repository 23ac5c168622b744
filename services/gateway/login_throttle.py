"""Password guesses are limited per e-mail and per client address (fixed 15-minute windows, `ratelimit.py`).

Every attempt counts, before the password is checked, for known and unknown e-mails alike: the answer
(429 with `Retry-After`) tells nothing about whether the e-mail exists. Counted in Redis (shared by the
gateway replicas) when distributed, in memory embedded.
"""

import hashlib

from services.gateway.edge import Edge
from services.gateway.ratelimit import Limit

WINDOW_SECONDS = 15 * 60


def _email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]  # no address in Redis keys


async def check(edge: Edge, email: str, ip: str | None) -> None:
    """Count one attempt at this e-mail's password from this address; raises 429 when over a limit."""
    settings = edge.settings
    limits = [
        Limit(f"login:e:{_email_key(email)}", settings.login_attempts_per_15min, WINDOW_SECONDS, "e-mail address")
    ]
    if ip:
        limits.append(Limit(f"login:ip:{ip}", settings.login_attempts_per_ip_per_15min, WINDOW_SECONDS, "address"))
    await edge.limiter.check(*limits)
