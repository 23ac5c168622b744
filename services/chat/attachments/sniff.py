"""What a file is, by its first bytes (never by its name or the type its sender claims).

Only the kinds a chat takes are known: PNG, JPEG, GIF, WebP and PDF. Anything else (SVG, HTML, scripts,
archives, a renamed HTML file) is `None`: refused. Served with its detected type, `nosniff` and a sandbox
policy, a file that also parses as something else (a polyglot) is still only shown as what it was taken for.
"""

from dataclasses import dataclass

from services.common.errors import AppError

SNIFF_BYTES = 16  # enough for every signature below


@dataclass(frozen=True)
class Kind:
    content_type: str
    extensions: tuple[str, ...]  # the first is added to a name that has none of them

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


PNG = Kind("image/png", (".png",))
JPEG = Kind("image/jpeg", (".jpg", ".jpeg"))
GIF = Kind("image/gif", (".gif",))
WEBP = Kind("image/webp", (".webp",))
PDF = Kind("application/pdf", (".pdf",))
KINDS = (PNG, JPEG, GIF, WEBP, PDF)


class UnsupportedType(AppError):
    status_code = 415
    code = "unsupported_type"


def sniff(head: bytes) -> Kind | None:
    """The kind of a file from its first `SNIFF_BYTES` bytes, or None when it is none a chat takes."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(head) >= 12 and head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def require_kind(head: bytes) -> Kind:
    kind = sniff(head)
    if kind is None:
        raise UnsupportedType(
            "Only images (PNG, JPEG, GIF, WebP) and PDF documents can be attached.", code="unsupported_type"
        )
    return kind
