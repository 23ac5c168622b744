"""File names as a visitor or operator gave them, made safe to store, show (as text) and offer for download."""

import re
import unicodedata
from urllib.parse import quote

from services.chat.attachments.sniff import Kind

MAX_NAME_CHARS = 120
# Path separators, controls, and what reorders or hides text (bidi overrides and isolates, zero-width marks).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_QUOTED = re.compile(r'["<>:|?*]')
_SPACES = re.compile(r"\s+")


def safe_name(raw: str | None, kind: Kind) -> str:
    """The last path component, without controls or direction marks, at most `MAX_NAME_CHARS`, never empty, and
    ending with an extension of its detected kind (`photo.html` that is a PNG becomes `photo.html.png`)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = _QUOTED.sub("_", _UNSAFE.sub("", name))
    name = _SPACES.sub(" ", name).strip(" .")
    if not name:
        name = "image" if kind.is_image else "document"
    if not name.lower().endswith(kind.extensions):
        name += kind.extensions[0]
    if len(name) > MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        name = stem[: MAX_NAME_CHARS - len(extension) - 1] + dot + extension
    return name


def content_disposition(name: str, inline: bool) -> str:
    """`inline` or `attachment`, with an ASCII fallback name and the UTF-8 one (RFC 6266, RFC 5987)."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_").replace('"', "_")
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
