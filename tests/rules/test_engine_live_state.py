"""Tracking's live visitor record (the `LiveVisitor` of the live list) becomes the engine's `VisitorState`."""

from datetime import UTC, datetime, timedelta

from services.rules.engine import EvalContext, ProductSeen, state_from_live_record
from services.tracking.api.schemas import VisitorOut
from tests.rules.engine_helpers import rule

NOW = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


def live_record() -> dict[str, object]:
    """A record as tracking stores it in the live store (`VisitorOut` as JSON)."""
    visitor = VisitorOut.model_validate(
        {
            "visitor_id": "01a2373f-6237-71e2-87b8-4ef5aa6aadb9",
            "site_id": "site-1",
            "visit_id": "visit-1",
            "current_url": "https://shop.example/informatica/notebooks",
            "current_title": "Notebooks",
            "section": "Informática",
            "first_seen_at": NOW - timedelta(days=30),
            "last_seen_at": NOW - timedelta(seconds=5),
            "visit_started_at": NOW - timedelta(minutes=10),
            "page_started_at": NOW - timedelta(minutes=4),
            "pages_viewed": 6,
            "visit_count": 3,
            "returning": True,
            "ip": "203.0.113.9",
            "location": {"country_code": "BR", "country": "Brazil", "region": "São Paulo", "city": "Campinas"},
            "device": {"browser": "Firefox", "os": "Windows", "device_class": "desktop"},
            "referrer": "https://www.google.com/",
            "arrived_via": {"kind": "search", "source": "google", "keywords": "notebook 16gb"},
            "utm": {"source": "newsletter", "medium": None},
            "contact": None,
            "attributes": {"orders": 4, "plan": "gold"},
            "chat_state": "none",
        }
    )
    record: dict[str, object] = visitor.model_dump(mode="json")
    return record


def test_every_field_the_record_has_reaches_the_state() -> None:
    state = state_from_live_record(live_record(), account_id="acc-1")
    now = NOW.timestamp()
    assert (state.visitor_id, state.site_id, state.account_id, state.visit_id) == (
        "01a2373f-6237-71e2-87b8-4ef5aa6aadb9",
        "site-1",
        "acc-1",
        "visit-1",
    )
    assert state.visit_started_at == now - 600 and state.page_started_at == now - 240
    assert state.last_activity_at == now - 5
    assert state.section == "Informática" and state.section_entered_at == now - 240  # at least this page
    assert (state.pages_viewed, state.visit_count, state.returning, state.chat_state) == (6, 3, True, "none")
    assert (state.country_code, state.country, state.region, state.city) == ("BR", "Brazil", "São Paulo", "Campinas")
    assert (state.device_class, state.browser, state.os) == ("desktop", "Firefox", "Windows")
    assert (state.referrer, state.arrived_via, state.search_keywords) == (
        "https://www.google.com/",
        "search",
        "notebook 16gb",
    )
    assert state.utm == {"source": "newsletter"} and state.attributes == {"orders": 4, "plan": "gold"}


def test_what_the_record_lacks_is_given_by_the_caller() -> None:
    products = (ProductSeen("Notebook X"),)
    state = state_from_live_record(live_record(), segment="most_potential", products=products, last_chat_at=1.0)
    assert state.segment == "most_potential" and state.products == products and state.last_chat_at == 1.0


def test_the_reference_example_on_a_live_record() -> None:
    example = rule(
        {
            "type": "and",
            "conditions": [
                {"type": "time_in_section", "section": "informática", "seconds": 180},
                {"type": "operators_online"},
                {"type": "pages_viewed", "value": 5},
            ],
        }
    )
    state = state_from_live_record(live_record())
    assert example.matches(state, EvalContext(now=NOW.timestamp(), operators_online=frozenset({"olga"})))
    assert not example.matches(state, EvalContext(now=NOW.timestamp()))
