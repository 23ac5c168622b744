"""What a site's allowed origins and domains may be, each written one way (ADM-1).

An origin is what a browser sends in its `Origin` header: `scheme://host[:port]`, `http` or `https`, no
path, query, fragment or user; the host lowercased (an international name in its `xn--` form) and a
default port left out, so that the edge's exact comparison with the header holds. A domain is a host
name (`shop.example`, `localhost`) or an IP address, lowercased, without a scheme, port or path.
Both raise `ValueError` saying what is wrong (answered 422 by the API).
"""

import ipaddress
import re

from pydantic import HttpUrl, TypeAdapter, ValidationError

MAX_ORIGIN_LENGTH = 300
MAX_DOMAIN_LENGTH = 253
# A DNS label: letters, digits and inner hyphens, 1-63 characters.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# What a domain given in a URL path may look like before it is checked (host names, IPv4 and IPv6).
DOMAIN_PATTERN = r"^[A-Za-z0-9.:-]{1,253}$"
_URL = TypeAdapter(HttpUrl)


def _host_problem(host: str) -> str | None:
    """Why `host` (lowercase ASCII) is not a host name or IP address, or None."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return None
    except ValueError:
        pass
    if len(host) > MAX_DOMAIN_LENGTH:
        return f"a host name has at most {MAX_DOMAIN_LENGTH} characters"
    for label in host.split("."):
        if not _LABEL.fullmatch(label):
            shown = label or "(empty)"
            return f"{shown!r} is not a host name label (letters, digits and inner hyphens, 1-63 characters)"
    return None


def normalize_origin(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("an origin is needed, like https://shop.example")
    if "://" not in text:
        raise ValueError(f"{text!r} is not an origin: write it as scheme://host[:port], like https://shop.example")
    try:
        url = _URL.validate_python(text)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise ValueError(f"{text!r} is not an origin (scheme://host[:port]): {reason}") from None
    if url.username or url.password:
        raise ValueError(f"{text!r} has a user name or password: an origin is only scheme://host[:port]")
    if url.path not in (None, "", "/") or url.query is not None or url.fragment is not None:
        raise ValueError(
            f"{text!r} has a path, query or fragment: an origin is only scheme://host[:port], without them"
        )
    host = url.host or ""
    problem = _host_problem(host)
    if problem:
        raise ValueError(f"{text!r} has no valid host: {problem}")
    return str(url).rstrip("/")


def normalize_domain(value: str) -> str:
    text = value.strip().lower().rstrip(".")
    if not text:
        raise ValueError("a domain is needed, like shop.example")
    if "/" in text or "@" in text:
        raise ValueError(f"{value.strip()!r} is not a domain: give the host name alone, like shop.example")
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(
            f"{value.strip()!r} is not a host name (labels of 1-63 letters, digits and inner hyphens)"
        ) from None
    if ":" in ascii_name:
        raise ValueError(f"{value.strip()!r} is not a domain: leave the port out")
    problem = _host_problem(ascii_name)
    if problem:
        raise ValueError(f"{value.strip()!r} is not a domain: {problem}")
    return ascii_name
