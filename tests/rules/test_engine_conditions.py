"""Every condition type of the rules engine, evaluated for visitors that pass it and visitors that do not;
for the time-based ones, when they next could become true (or stop being true) while the visitor stays."""

import pytest

from services.rules.engine import ProductSeen, SearchSeen
from services.rules.engine.hours import Schedule, WeeklyHours
from tests.rules.engine_helpers import DAY, HOUR, MINUTE, NOW, matches, verdict, visitor

# --- time --------------------------------------------------------------------------------------------------


def test_time_on_site_becomes_true_when_the_visit_is_old_enough() -> None:
    three_minutes = {"type": "time_on_site", "seconds": 180}
    fresh = visitor(visit_started_at=NOW - 100)
    assert verdict(three_minutes, fresh).matched is False
    assert verdict(three_minutes, fresh).next_check_at == NOW + 80
    assert verdict(three_minutes, visitor(visit_started_at=NOW - 200)).matched
    assert verdict(three_minutes, visitor()).next_check_at is None  # no visit: nothing to wait for


def test_time_on_page_less_than_is_true_until_the_bound() -> None:
    under_half_a_minute = {"type": "time_on_page", "op": "lt", "seconds": 30}
    found = verdict(under_half_a_minute, visitor(page_started_at=NOW - 10))
    assert found.matched and found.until == NOW + 20 and found.next_check_at is None
    late = verdict(under_half_a_minute, visitor(page_started_at=NOW - 40))
    assert not late.matched and late.next_check_at is None  # only a new page makes it true again


def test_strict_bounds_are_first_true_just_after_the_bound() -> None:
    more_than_a_minute = {"type": "time_on_page", "op": "gt", "seconds": 60}
    state = visitor(page_started_at=NOW - 60)
    assert not matches(more_than_a_minute, state)
    at = verdict(more_than_a_minute, state).next_check_at
    assert at is not None and NOW < at < NOW + 0.01
    assert matches(more_than_a_minute, state, now=at)


def test_time_in_section_counts_the_current_stay_in_that_section() -> None:
    stay = {"type": "time_in_section", "section": "Informática", "seconds": 180}
    in_it = visitor(section="informática", section_entered_at=NOW - 100, page_started_at=NOW - 20)
    assert verdict(stay, in_it).next_check_at == NOW + 80  # the stay, not the page, counts
    assert matches(stay, in_it, now=NOW + 80)
    elsewhere = visitor(section="TV", section_entered_at=NOW - 1000, page_started_at=NOW - 1000)
    assert verdict(stay, elsewhere) == verdict(stay, visitor())
    assert not matches(stay, elsewhere) and verdict(stay, elsewhere).next_check_at is None


def test_time_in_section_over_the_visit_adds_the_pages_left_and_the_current_one() -> None:
    visit = {"type": "time_in_section", "section": "IT", "seconds": 180, "scope": "visit"}
    back_in_it = visitor(section="IT", page_started_at=NOW - 40, section_seconds={"IT": 150.0})
    assert matches(visit, back_in_it)
    away = visitor(section="TV", page_started_at=NOW - 40, section_seconds={"IT": 150.0})
    assert not matches(visit, away) and verdict(visit, away).next_check_at is None
    short = visitor(section="IT", page_started_at=NOW - 10, section_seconds={"it": 100.0})
    assert verdict(visit, short).next_check_at == NOW + 70


def test_idle_counts_from_the_last_sign_of_life() -> None:
    idle = {"type": "idle", "seconds": 30}
    assert verdict(idle, visitor(last_activity_at=NOW - 10)).next_check_at == NOW + 20
    assert matches(idle, visitor(last_activity_at=NOW - 31))


def test_last_visit_ago_and_a_first_visit() -> None:
    week = {"type": "last_visit", "seconds": 7 * DAY}
    assert matches(week, visitor(previous_visit_at=NOW - 8 * DAY))
    assert verdict(week, visitor(previous_visit_at=NOW - DAY)).next_check_at == NOW + 6 * DAY
    assert not matches(week, visitor())
    assert matches({**week, "if_never": True}, visitor())


def test_last_chat_ago() -> None:
    recent = {"type": "last_chat", "op": "le", "seconds": HOUR}
    assert matches(recent, visitor(last_chat_at=NOW - MINUTE))
    assert not matches(recent, visitor(last_chat_at=NOW - 2 * HOUR))
    assert not matches(recent, visitor())
    assert matches({"type": "last_chat", "seconds": DAY, "if_never": True}, visitor())


def test_exit_intent_within_the_last_seconds() -> None:
    leaving = {"type": "exit_intent", "within_seconds": 10}
    found = verdict(leaving, visitor(exit_intent_at=NOW - 3))
    assert found.matched and found.until is not None and NOW + 7 <= found.until < NOW + 7.01
    assert not matches(leaving, visitor(exit_intent_at=NOW - 20))
    assert not matches(leaving, visitor())


def test_site_event_happened_n_times_within_m_seconds() -> None:
    twice = {"type": "site_event", "name": "added_to_cart", "op": "ge", "value": 2, "within_seconds": 60}
    events = {"added_to_cart": [NOW - 100, NOW - 50, NOW - 5]}
    found = verdict(twice, visitor(events=events))
    assert found.matched  # the two within the minute
    assert found.until is not None and NOW + 10 <= found.until < NOW + 10.01  # when the older of them ages out
    assert not matches(twice, visitor(events={"added_to_cart": [NOW - 5]}))
    assert not matches(twice, visitor(events={"viewed_cart": [NOW - 5, NOW - 4]}))
    none_lately = {"type": "site_event", "name": "added_to_cart", "op": "lt", "value": 1, "within_seconds": 60}
    waiting = verdict(none_lately, visitor(events={"added_to_cart": [NOW - 30]}))
    assert not waiting.matched and waiting.next_check_at is not None
    assert NOW + 30 <= waiting.next_check_at < NOW + 30.01
    assert matches(none_lately, visitor(events={"added_to_cart": [NOW - 30]}), now=waiting.next_check_at)


# --- counts, page, arrival, visitor ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "fields", "expected"),
    [
        ({"type": "pages_viewed", "op": "ge", "value": 5}, {"pages_viewed": 5}, True),
        ({"type": "pages_viewed", "op": "ge", "value": 5}, {"pages_viewed": 4}, False),
        ({"type": "pages_viewed", "op": "gt", "value": 10, "scope": "all"}, {"pages_viewed_total": 11}, True),
        ({"type": "pages_viewed", "op": "eq", "value": 1}, {"pages_viewed": 1}, True),
        ({"type": "pages_viewed", "op": "neq", "value": 1}, {"pages_viewed": 1}, False),
        ({"type": "pages_viewed", "op": "lt", "value": 3}, {"pages_viewed": 2}, True),
        ({"type": "pages_viewed", "op": "le", "value": 3}, {"pages_viewed": 4}, False),
        ({"type": "pages_in_section", "section": "TV", "value": 3}, {"section_pages": {"TV": 3}}, True),
        ({"type": "pages_in_section", "section": "tv", "value": 3}, {"section_pages": {"TV": 3}}, True),
        ({"type": "pages_in_section", "section": "TV", "value": 3}, {"section_pages": {"IT": 9}}, False),
        ({"type": "visit_count", "op": "ge", "value": 3}, {"visit_count": 3}, True),
        ({"type": "visit_count", "op": "ge", "value": 3}, {"visit_count": 2}, False),
        ({"type": "returning"}, {"returning": True}, True),
        ({"type": "returning", "value": False}, {"returning": True}, False),
        ({"type": "returning", "value": False}, {"returning": False}, True),
    ],
)
def test_counts_and_new_or_returning(condition: dict[str, object], fields: dict[str, object], expected: bool) -> None:
    found = verdict(condition, visitor(**fields))
    assert found.matched is expected
    assert found.next_check_at is None and found.until is None  # time alone changes none of them


URL = "https://shop.example/informatica/notebooks?page=2"


@pytest.mark.parametrize(
    ("condition", "fields", "expected"),
    [
        ({"type": "current_url", "op": "contains", "value": "/INFORMATICA/"}, {"current_url": URL}, True),
        (
            {"type": "current_url", "op": "contains", "value": "/INFORMATICA/", "case_sensitive": True},
            {"current_url": URL},
            False,
        ),
        ({"type": "current_url", "op": "starts_with", "value": "https://shop.example/"}, {"current_url": URL}, True),
        ({"type": "current_url", "op": "ends_with", "value": "page=2"}, {"current_url": URL}, True),
        ({"type": "current_url", "op": "regex", "value": r"/informatica/[a-z]+\?"}, {"current_url": URL}, True),
        ({"type": "current_url", "op": "regex", "value": r"^/informatica"}, {"current_url": URL}, False),
        ({"type": "current_url", "op": "not_contains", "value": "checkout"}, {"current_url": URL}, True),
        ({"type": "current_url", "op": "eq", "value": URL}, {}, False),
        (
            {"type": "current_title", "op": "eq", "value": "notebooks | shop"},
            {"current_title": "Notebooks | Shop"},
            True,
        ),
        ({"type": "current_section", "op": "in", "value": ["TV", "IT"]}, {"section": "it"}, True),
        ({"type": "current_section", "op": "not_in", "value": ["TV", "IT"]}, {"section": "Kitchen"}, True),
        ({"type": "current_section", "op": "not_in", "value": ["TV"]}, {}, True),
        ({"type": "current_section", "op": "exists"}, {}, False),
        ({"type": "current_section", "op": "not_exists"}, {}, True),
        ({"type": "referrer", "op": "contains", "value": "google."}, {"referrer": "https://www.google.com/"}, True),
        ({"type": "referrer", "op": "neq", "value": "https://news.example/"}, {}, True),
        ({"type": "referrer", "op": "exists"}, {}, False),
        ({"type": "arrived_via", "kinds": ["search", "campaign"]}, {"arrived_via": "search"}, True),
        ({"type": "arrived_via", "kinds": ["search", "campaign"]}, {"arrived_via": "direct"}, False),
        ({"type": "utm", "field": "campaign", "value": "black-friday"}, {"utm": {"campaign": "Black-Friday"}}, True),
        ({"type": "utm", "field": "source", "value": "newsletter"}, {"utm": {"campaign": "newsletter"}}, False),
        (
            {"type": "search_keywords", "op": "contains", "value": "notebook"},
            {"search_keywords": "cheap notebook 16gb"},
            True,
        ),
        ({"type": "search_keywords", "op": "contains", "value": "notebook"}, {}, False),
        ({"type": "segment", "value": "most_valuable"}, {"segment": "most_valuable"}, True),
        ({"type": "segment", "op": "neq", "value": "low_potential"}, {"segment": "low_potential"}, False),
    ],
)
def test_page_arrival_and_segment_texts(
    condition: dict[str, object], fields: dict[str, object], expected: bool
) -> None:
    assert matches(condition, visitor(**fields)) is expected


BRAZILIAN = {"country_code": "BR", "country": "Brazil", "region": "São Paulo", "city": "Campinas"}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"type": "country", "value": "BR"}, True),
        ({"type": "country", "value": "brazil"}, True),
        ({"type": "country", "op": "in", "value": ["PT", "br"]}, True),
        ({"type": "country", "op": "neq", "value": "BR"}, False),
        ({"type": "country", "op": "neq", "value": "Brazil"}, False),
        ({"type": "country", "op": "neq", "value": "PT"}, True),
        ({"type": "region", "value": "são paulo"}, True),
        ({"type": "city", "op": "in", "value": ["Campinas", "Santos"]}, True),
        ({"type": "city", "value": "Santos"}, False),
    ],
)
def test_location(condition: dict[str, object], expected: bool) -> None:
    assert matches(condition, visitor(**BRAZILIAN)) is expected


def test_location_unknown_passes_only_negative_tests() -> None:
    assert not matches({"type": "country", "value": "BR"}, visitor())
    assert matches({"type": "country", "op": "neq", "value": "BR"}, visitor())


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"type": "device", "value": "mobile"}, True),
        ({"type": "device", "field": "class", "op": "in", "value": ["tablet", "desktop"]}, False),
        ({"type": "device", "field": "browser", "value": "firefox"}, True),
        ({"type": "device", "field": "os", "op": "starts_with", "value": "android"}, True),
    ],
)
def test_device(condition: dict[str, object], expected: bool) -> None:
    phone = visitor(device_class="mobile", browser="Firefox", os="Android 14")
    assert matches(condition, phone) is expected


ATTRIBUTES = {"orders": 3, "spent": "1250.50", "plan": "Gold", "vip": True, "tags": "new,promo"}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"op": "eq", "value": 3}, True),
        ({"op": "eq", "value": "3"}, True),  # a numeric text and a number are the same number
        ({"op": "neq", "value": 3}, False),
        ({"op": "gt", "value": 2}, True),
        ({"op": "ge", "value": 3}, True),
        ({"op": "lt", "value": 3}, False),
        ({"op": "le", "value": 3.0}, True),
        ({"op": "in", "value": [1, 2, 3]}, True),
        ({"op": "not_in", "value": [1, 2]}, True),
        ({"op": "exists"}, True),
        ({"op": "not_exists"}, False),
        ({"op": "regex", "value": "^[0-9]+$"}, True),
    ],
)
def test_custom_attribute_number(condition: dict[str, object], expected: bool) -> None:
    assert matches({"type": "attribute", "name": "orders", **condition}, visitor(attributes=ATTRIBUTES)) is expected


@pytest.mark.parametrize(
    ("name", "condition", "expected"),
    [
        ("spent", {"op": "gt", "value": 1000}, True),  # a numeric text compares as a number
        ("plan", {"op": "gt", "value": 1}, False),  # a text that is not a number is not greater than anything
        ("plan", {"op": "eq", "value": "Gold"}, True),
        ("plan", {"op": "eq", "value": "gold"}, False),  # attributes are case-sensitive by default
        ("plan", {"op": "eq", "value": "gold", "case_sensitive": False}, True),
        ("plan", {"op": "in", "value": ["Silver", "Gold"]}, True),
        ("tags", {"op": "contains", "value": "promo"}, True),
        ("tags", {"op": "regex", "value": "(^|,)new(,|$)"}, True),
        ("vip", {"op": "eq", "value": True}, True),
        ("vip", {"op": "eq", "value": 1}, False),  # a boolean is not a number
        ("missing", {"op": "eq", "value": 1}, False),
        ("missing", {"op": "neq", "value": 1}, True),
        ("missing", {"op": "not_exists"}, True),
        ("missing", {"op": "lt", "value": 1}, False),
    ],
)
def test_custom_attribute_texts_booleans_and_missing(name: str, condition: dict[str, object], expected: bool) -> None:
    assert matches({"type": "attribute", "name": name, **condition}, visitor(attributes=ATTRIBUTES)) is expected


def test_products_viewed_and_searches() -> None:
    shopper = visitor(
        products=(ProductSeen("TV 55", "tv-55", "TV"), ProductSeen("TV 65", "tv-65", "TV"), ProductSeen("Mouse")),
        searches=(SearchSeen("smart tv"), SearchSeen("hdmi cable")),
    )
    assert matches({"type": "products_viewed", "value": 3}, shopper)
    assert not matches({"type": "products_viewed", "value": 4}, shopper)
    tvs = {"field": "category", "value": "tv"}
    assert matches({"type": "products_viewed", "op": "eq", "value": 2, "match": tvs}, shopper)
    assert matches(
        {"type": "products_viewed", "match": {"field": "sku", "op": "starts_with", "value": "tv-6"}}, shopper
    )
    assert matches({"type": "searches", "value": 2}, shopper)
    assert matches({"type": "searches", "match": {"op": "contains", "value": "TV"}}, shopper)
    assert not matches({"type": "searches", "match": {"op": "contains", "value": "phone"}}, shopper)
    assert not matches({"type": "products_viewed"}, visitor())


# --- hours and operators -----------------------------------------------------------------------------------

# NOW is Friday 08:00 UTC: 05:00 in São Paulo.
SAO_PAULO_OFFICE = {"time_zone": "America/Sao_Paulo", "days": {"fri": [{"start": "09:00", "end": "18:00"}]}}


def test_business_hours_given_in_the_rule() -> None:
    office = {"type": "business_hours", "hours": SAO_PAULO_OFFICE}
    before = verdict(office)
    assert not before.matched and before.next_check_at == NOW + 4 * HOUR  # opens at 09:00 local
    assert matches(office, now=NOW + 5 * HOUR)
    assert verdict(office, now=NOW + 5 * HOUR).until == NOW + 13 * HOUR  # closes at 18:00 local
    assert matches({**office, "open": False})


def test_business_hours_of_a_queue_from_the_context() -> None:
    support = {"type": "business_hours", "queue_id": "support"}
    hours = {"support": Schedule(WeeklyHours.model_validate(SAO_PAULO_OFFICE))}
    assert not matches(support, queue_hours=hours)
    assert matches(support, queue_hours=hours, now=NOW + 5 * HOUR)
    assert not matches(support, now=NOW + 5 * HOUR)  # a queue whose hours nobody knows is not open


def test_operators_online_any_or_specific() -> None:
    any_operator = {"type": "operators_online"}
    x_y_or_z = {"type": "operators_online", "operator_ids": ["x", "y", "z"]}
    assert not matches(any_operator)
    assert matches(any_operator, operators_online=frozenset({"w"}))
    assert not matches(x_y_or_z, operators_online=frozenset({"w"}))
    assert matches(x_y_or_z, operators_online=frozenset({"w", "z"}))


def test_an_operator_free_anywhere_or_in_a_queue() -> None:
    assert not matches({"type": "operator_free"}, free_operators=0)
    assert matches({"type": "operator_free"}, free_operators=1)
    assert matches({"type": "operator_free", "queue_id": "sales"}, free_in_queue={"sales": 1})
    assert not matches({"type": "operator_free", "queue_id": "sales"}, free_in_queue={"support": 2}, free_operators=2)
