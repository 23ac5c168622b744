"""The address of the client behind the gateway's reverse proxies (X-Forwarded-For, honoured with care).

Anyone can send an X-Forwarded-For header, so it is believed only as far as the chain of proxies we
trust: the peer of the connection must be a trusted proxy, and the list is read from the right (the
entries our own proxies appended) to the first address that is not a trusted proxy: that is the client.
Everything to its left was written by the client or by proxies we know nothing of, and is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def parse_trusted_proxies(value: str) -> tuple[Network, ...]:
    """Comma-separated IP addresses and CIDR networks (e.g. ``10.0.0.0/8, 127.0.0.1, ::1``); blanks are skipped."""
    networks: list[Network] = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        try:
            networks.append(ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"trusted proxy {entry!r} is neither an IP address nor a CIDR network (e.g. 10.0.0.0/8, 2001:db8::/32)"
            ) from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    """An address as proxies write it: bare, IPv6 in brackets, either with a port; IPv4-mapped IPv6 as IPv4."""
    text = text.strip().strip('"')
    if text.startswith("["):  # [2001:db8::1] or [2001:db8::1]:443
        end = text.find("]")
        if end < 0 or (end + 1 < len(text) and not text[end + 1 :].startswith(":")):
            return None
        text = text[1:end]
    elif text.count(":") == 1:  # 203.0.113.7:51234
        text = text.split(":", 1)[0]
    if "%" in text:  # a zone index (fe80::1%eth0) is not part of an address we can use
        return None
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Sequence[Network]) -> str | None:
    """The client's IP address: the peer itself, unless the peer is a trusted proxy, then the rightmost
    address of X-Forwarded-For that is not a trusted proxy. An entry that is not an address stops the
    walk at the last good one. None when the peer is unknown or not an IP address."""
    if peer is None:
        return None
    current = _address(peer)
    if current is None:
        return None
    if not forwarded_for or not _trusted(current, trusted):
        return str(current)
    for entry in reversed(forwarded_for.split(",")):
        if not entry.strip():
            continue
        hop = _address(entry)
        if hop is None:  # garbage ("unknown", a hostname, a forged value): nothing left of it can be believed
            break
        current = hop
        if not _trusted(hop, trusted):
            break
    return str(current)
