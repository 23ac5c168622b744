"""The Reply-To address of a ticket, `ticket+<ticket_id>.<mac>@<MAIL_REPLY_DOMAIN>`: the MAC (HMAC-SHA256 keyed
with the internal secret, 16 hex digits) makes an address nobody can guess for a ticket not theirs."""

import hashlib
import hmac
import re

from services.common.settings import Settings

_LOCAL = re.compile(r"^ticket\+([0-9A-Za-z-]{1,64})\.([0-9a-f]{16})$")


def _mac(settings: Settings, ticket_id: str) -> str:
    key = settings.internal_secret.encode()
    return hmac.new(key, f"ticket-reply:{ticket_id}".encode(), hashlib.sha256).hexdigest()[:16]


def reply_address(settings: Settings, ticket_id: str) -> str:
    return f"ticket+{ticket_id}.{_mac(settings, ticket_id)}@{settings.mail_reply_domain}"


def ticket_of_address(settings: Settings, address: str) -> str | None:
    """The ticket an address of ours names, when its MAC is right; else None (another address, or forged)."""
    local, _, domain = address.strip().rpartition("@")
    if domain.lower() != settings.mail_reply_domain.lower():
        return None
    found = _LOCAL.match(local.lower())
    if found is None:
        return None
    ticket_id, mac = found.groups()
    return ticket_id if hmac.compare_digest(mac, _mac(settings, ticket_id)) else None
