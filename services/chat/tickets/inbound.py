"""Reading a reply that came by email: a raw RFC 822 message, as mail providers post it.

Parsed with the standard `email` package (policy=default). The ticket is found from the recipient headers
(`Delivered-To`, `X-Original-To`, `To`, `Cc`): the first of our reply addresses whose MAC is right
(`addresses.ticket_of_address`). The text is the plain part (else the HTML one, reduced to its text) without
the quoted message it answers: everything from a line `On ... wrote:` / `-----Original Message-----` on, lines
starting with `>`, and a signature after `-- `.
"""

import html
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from services.chat.tickets.addresses import ticket_of_address
from services.common.errors import InvalidInput
from services.common.settings import Settings

RECIPIENT_HEADERS = ("delivered-to", "x-original-to", "to", "cc")
MAX_REPLY_CHARS = 4000
_QUOTE_START = re.compile(
    r"^(on\b.{0,300}\bwrote:\s*$|-{2,}\s*original message\s*-{2,}|_{10,}\s*$|from:\s.*@)", re.IGNORECASE
)
_TAG = re.compile(r"<[^>]*>")
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/tr)\b[^>]*>", re.IGNORECASE)
_HIDDEN = re.compile(r"<\s*(style|script|head)\b.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class InboundReply:
    ticket_id: str
    sender: str | None
    text: str


def _unreadable(message: str, code: str = "unreadable_email") -> InvalidInput:
    return InvalidInput(message, code=code)


def parse(raw: bytes) -> EmailMessage:
    if not raw.strip():
        raise _unreadable("The body is empty: post the raw RFC 822 message.")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything it still raises is a bad message
        raise _unreadable("The body is not an RFC 822 message.") from exc
    assert isinstance(message, EmailMessage)
    if not message.keys():
        raise _unreadable("The body is not an RFC 822 message (no headers).")
    return message


def _ticket_of(settings: Settings, message: EmailMessage) -> str | None:
    for header in RECIPIENT_HEADERS:
        try:
            values = [str(v) for v in message.get_all(header, [])]
        except Exception:  # a header the policy cannot read
            continue
        for _, address in getaddresses(values):
            ticket_id = ticket_of_address(settings, address)
            if ticket_id is not None:
                return ticket_id
    return None


def _html_text(markup: str) -> str:
    markup = _HIDDEN.sub("", markup)
    return html.unescape(_TAG.sub("", _BLOCK.sub("\n", markup)))


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except Exception as exc:
        raise _unreadable("The message's text cannot be decoded.") from exc
    if not isinstance(content, str):
        return ""
    return _html_text(content) if part.get_content_subtype() == "html" else content


def strip_quoted(text: str) -> str:
    kept: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _QUOTE_START.match(line.strip()) or line.rstrip() == "--":
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip()


def read_reply(settings: Settings, raw: bytes) -> InboundReply:
    """The reply a raw message carries; 422 when it is not a message, names none of our tickets (or a forged
    address) or has no text of its own."""
    message = parse(raw)
    ticket_id = _ticket_of(settings, message)
    if ticket_id is None:
        raise InvalidInput("The message is not addressed to a ticket's reply address.", code="unknown_recipient")
    text = strip_quoted(body_text(message))
    if not text:
        raise InvalidInput("The message has no text of its own.", code="empty_reply")
    senders = getaddresses([str(v) for v in message.get_all("from", [])])
    sender = senders[0][1] if senders and senders[0][1] else None
    return InboundReply(ticket_id=ticket_id, sender=sender, text=text[:MAX_REPLY_CHARS])
