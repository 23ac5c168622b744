from ipaddress import ip_network

import pytest

from services.common.client_address import client_ip, parse_trusted_proxies

PROXIES = parse_trusted_proxies("10.0.0.0/8, 127.0.0.1, ::1, 2001:db8:1::/48")


def test_parse_trusted_proxies() -> None:
    assert PROXIES == (
        ip_network("10.0.0.0/8"),
        ip_network("127.0.0.1/32"),
        ip_network("::1/128"),
        ip_network("2001:db8:1::/48"),
    )
    assert parse_trusted_proxies("") == ()
    assert parse_trusted_proxies(" , ") == ()
    assert parse_trusted_proxies("192.168.1.7/24") == (ip_network("192.168.1.0/24"),)  # host bits are forgiven


@pytest.mark.parametrize("value", ["10.0.0.0/33", "proxy.internal", "10.0.0.0/8; 127.0.0.1", "1.2.3"])
def test_an_invalid_trusted_proxy_is_a_clear_error(value: str) -> None:
    with pytest.raises(ValueError, match=r"trusted proxy .* is neither an IP address nor a CIDR network"):
        parse_trusted_proxies(value)


def test_without_a_trusted_peer_the_peer_is_the_client() -> None:
    assert client_ip("203.0.113.7", None, PROXIES) == "203.0.113.7"
    assert client_ip("203.0.113.7", "", PROXIES) == "203.0.113.7"
    assert client_ip("203.0.113.7", "198.51.100.1", ()) == "203.0.113.7"


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    # a visitor connecting directly cannot pick the address we record
    assert client_ip("203.0.113.7", "81.2.69.142", PROXIES) == "203.0.113.7"
    assert client_ip("203.0.113.7", "10.0.0.5, 127.0.0.1", PROXIES) == "203.0.113.7"


def test_a_trusted_proxy_peer_gives_the_address_it_saw() -> None:
    assert client_ip("10.0.0.2", "81.2.69.142", PROXIES) == "81.2.69.142"
    assert client_ip("127.0.0.1", "2001:db8:ffff::9", PROXIES) == "2001:db8:ffff::9"


def test_the_walk_stops_at_the_first_untrusted_address_from_the_right() -> None:
    # the client wrote "6.6.6.6" itself; our two proxies appended what they saw
    assert client_ip("10.0.0.2", "6.6.6.6, 81.2.69.142, 10.0.0.9", PROXIES) == "81.2.69.142"
    # a forged trusted address on the left cannot push the walk past the real client
    assert client_ip("10.0.0.2", "10.0.0.3, 81.2.69.142, 10.0.0.9", PROXIES) == "81.2.69.142"


def test_every_hop_trusted_gives_the_leftmost() -> None:
    assert client_ip("10.0.0.2", "10.1.2.3, 10.0.0.9", PROXIES) == "10.1.2.3"


def test_garbage_stops_the_walk_at_the_last_good_address() -> None:
    assert client_ip("10.0.0.2", "81.2.69.142, unknown", PROXIES) == "10.0.0.2"
    assert client_ip("10.0.0.2", "81.2.69.142, <script>, 10.0.0.9", PROXIES) == "10.0.0.9"
    assert client_ip("10.0.0.2", "evil.example, 81.2.69.142", PROXIES) == "81.2.69.142"
    assert client_ip("10.0.0.2", "81.2.69.142, 999.1.1.1", PROXIES) == "10.0.0.2"


def test_proxies_formats_ports_brackets_and_blanks() -> None:
    assert client_ip("10.0.0.2", "81.2.69.142:51234", PROXIES) == "81.2.69.142"
    assert client_ip("10.0.0.2", "[2001:db8:ffff::9]:443", PROXIES) == "2001:db8:ffff::9"
    assert client_ip("10.0.0.2", "[2001:db8:ffff::9]", PROXIES) == "2001:db8:ffff::9"
    assert client_ip("10.0.0.2", '"81.2.69.142"', PROXIES) == "81.2.69.142"
    assert client_ip("10.0.0.2", "81.2.69.142, , 10.0.0.9 ", PROXIES) == "81.2.69.142"
    assert client_ip("10.0.0.2", "2001:DB8:FFFF:0::9", PROXIES) == "2001:db8:ffff::9"  # normalised
    assert client_ip("10.0.0.2", "[2001:db8::1]x", PROXIES) == "10.0.0.2"


def test_ipv4_mapped_addresses_are_ipv4() -> None:
    # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
    assert client_ip("::ffff:10.0.0.2", "81.2.69.142", PROXIES) == "81.2.69.142"
    assert client_ip("::ffff:203.0.113.7", "81.2.69.142", PROXIES) == "203.0.113.7"
    assert client_ip("10.0.0.2", "::ffff:81.2.69.142", PROXIES) == "81.2.69.142"


def test_an_unknown_or_invalid_peer_is_none() -> None:
    assert client_ip(None, "81.2.69.142", PROXIES) is None
    assert client_ip("testclient", "81.2.69.142", PROXIES) is None
    assert client_ip("", None, PROXIES) is None


def test_ipv6_proxy_networks() -> None:
    assert client_ip("2001:db8:1::5", "81.2.69.142", PROXIES) == "81.2.69.142"
    assert client_ip("2001:db8:2::5", "81.2.69.142", PROXIES) == "2001:db8:2::5"
    assert client_ip("::1", "2001:db8:1::7, 81.2.69.142", PROXIES) == "81.2.69.142"
