"""Security headers on every answer of the gateway (SEC-5): a Content-Security-Policy for each kind of page,
`nosniff`, a Referrer-Policy, no framing, and HSTS when the gateway is reached over HTTPS.

- The console (`/console/`): its built files only (script, stylesheet, `data:` icon) and its API and socket
  on the same origin.
- The demo shop (`/demo/`): the widget's scripts, API and socket from the gateway (the same origin), and
  inline styles (the page's own, and the widget's shadow root, whose styles are `<style>` elements).
- Anything else (the JSON API, the widget's scripts): `default-src 'none'`, which is right for data.
A response that sets its own policy keeps it (the API docs page allows its inline start-up script by hash).
"""

import re
from ipaddress import ip_address

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.client_address import Network, parse_trusted_proxies
from services.common.settings import Settings

# `img-src blob:`: chat attachments (CHAT-10) are fetched with a token in a header and shown through object URLs.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
    "connect-src 'self'{socket}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DEMO_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'{socket}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
# The demo shop is a host site like any other: it tells the pages it links to where the visitor came from.
DEMO_REFERRER = "strict-origin-when-cross-origin"
DEFAULT_REFERRER = "no-referrer"
HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def socket_source(scope: Scope, secure: bool) -> str:
    """` ws(s)://<host>`: the page's own origin for its socket (CSP 3 lets `'self'` match it, older browsers
    need it written out). Nothing when the Host header is not a plain host name or address."""
    host = _header(scope, b"host")
    if not host or not HOST.match(host):
        return ""
    return f" {'wss' if secure else 'ws'}://{host}"


class SecurityHeaders:
    """Pure ASGI (the event endpoint passes through it too): adds the headers a response does not set itself."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.hsts = f"max-age={settings.hsts_seconds}" if settings.hsts_seconds > 0 else None
        self.public_https = settings.public_url.lower().startswith("https://")
        self.trusted: tuple[Network, ...] = parse_trusted_proxies(settings.trusted_proxies)
        self.api = _raw(API_CSP, DEFAULT_REFERRER, None)
        self.api_secure = _raw(API_CSP, DEFAULT_REFERRER, self.hsts)

    def over_https(self, scope: Scope) -> bool:
        """The public URL is HTTPS, the connection is, or a trusted proxy says the client's was."""
        if self.public_https or scope.get("scheme") == "https":
            return True
        if not self.trusted or not scope.get("client"):
            return False
        try:
            peer = ip_address(scope["client"][0])
        except ValueError:
            return False
        if not any(peer.version == net.version and peer in net for net in self.trusted):
            return False
        proto = _header(scope, b"x-forwarded-proto") or ""
        return proto.split(",")[0].strip().lower() == "https"

    def headers_for(self, scope: Scope, secure: bool) -> list[tuple[bytes, bytes]]:
        """The headers of an answer on this path (the API's are made once: it is the busy path)."""
        path: str = scope["path"]
        if _under(path, "/console"):
            csp, referrer = CONSOLE_CSP.format(socket=socket_source(scope, secure)), DEFAULT_REFERRER
        elif _under(path, "/demo"):
            csp, referrer = DEMO_CSP.format(socket=socket_source(scope, secure)), DEMO_REFERRER
        else:
            return self.api_secure if secure else self.api
        return _raw(csp, referrer, self.hsts if secure else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = self.over_https(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in self.headers_for(scope, secure) if h[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _raw(csp: str, referrer: str, hsts: str | None) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", csp.encode("latin-1")),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", referrer.encode("latin-1")),
        (b"x-frame-options", b"DENY"),
    ]
    if hsts:
        headers.append((b"strict-transport-security", hsts.encode("latin-1")))
    return headers
