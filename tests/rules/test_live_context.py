"""What tracking tells the rules of a visit besides its pages (`pageviews.recorded`: the visit's context once per
visitor per event, the site events and exit intents of the batch) and what the live state makes of it: referrer,
arrival, search keywords, UTM, location, device, the previous visit, "happened N times within M seconds", exit
intent."""

from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.events import PageView, PageviewsRecorded, SiteEventSeen, VisitContext
from services.common.tokens import Identity
from services.common.track_events import EVENT, check_events
from services.rules.engine import EvalContext, RuleDefinition, compile_rule
from services.rules.live import KEPT_EVENT_TIMES, _happened, _viewed
from services.rules.live_store import LiveVisitor, visitor_from_json, visitor_to_json
from services.tracking.api.schemas import TrackingSettings
from services.tracking.enrichment import Place
from services.tracking.ingest.plan import (
    NO_PAGE_VIEW,
    SITE_EVENTS_PER_SUBMISSION,
    TOO_MANY_SITE_EVENTS,
    BatchPlan,
    Loaded,
    Submission,
    new_visitor_rows,
)
from services.tracking.patterns import SitePatterns

T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
GUEST = Identity(kind="visitor", account_id="acc-1", site_id="site-1", visitor_id="v-1", ip="81.2.69.142")
SHOP = SitePatterns(TrackingSettings.model_validate({}))
LONDON = {"country_code": "GB", "country": "United Kingdom", "region": "England", "city": "London"}


def place_of(ip: str | None, user_agent: str | None) -> Place:
    return Place(location=LONDON, device={"device_class": "mobile", "browser": "Safari", "os": "iOS"})


def submission(*events: dict[str, Any], at: datetime = T0) -> Submission:
    checked = [(i, EVENT.validate_python(e), at + timedelta(seconds=i)) for i, e in enumerate(events)]
    return Submission(GUEST, "iPhone", at, checked)


def planned(batch: list[Submission], **visitor: Any) -> BatchPlan:
    blank = dict.fromkeys(("current_visit_id", "current_url", "current_title", "current_section", "page_started_at"))
    rows = {
        r["id"]: {**blank, "attributes": None, "burst_started_at": None, **r, **visitor}
        for r in new_visitor_rows(batch)
    }
    plan = BatchPlan(Loaded(rows, {}, {}, {"site-1": SHOP}), place_of, 20, 10.0)
    plan.apply(batch)
    return plan


LANDING = {
    "type": "pageview",
    "url": "https://shop.example/?utm_source=newsletter&utm_campaign=winter",
    "referrer": "https://www.google.com/search?q=oled+tv",
}


def recorded(plan: BatchPlan) -> PageviewsRecorded:
    """The `pageviews.recorded` the rules receive (through its JSON, as the bus carries it)."""
    [(payload, _)] = [(e, a) for e, a in plan.events if isinstance(e, PageviewsRecorded)]
    event = payload.to_event("acc-1")
    model = PageviewsRecorded.model_validate(event.payload)
    assert event.payload == model.model_dump(mode="json")  # the plan's JSON is the model's
    return model


def test_tracking_puts_the_visit_context_on_the_visitors_last_page_and_passes_site_events_and_exit_intents() -> None:
    cart = {"type": "event", "name": "added_to_cart"}
    pages = submission(LANDING, {"type": "pageview", "url": "https://shop.example/tv"}, cart, cart)
    plan = planned([pages, submission({"type": "exit_intent"}, at=T0 + timedelta(seconds=30))])
    first = recorded(plan)
    assert first.page_views[0].visit is None  # once per visitor per event: on their last page
    context = first.page_views[-1].visit
    assert context is not None
    assert (context.arrived_via, context.search_keywords, context.referrer) == (
        "search",
        "oled tv",
        "https://www.google.com/search?q=oled+tv",
    )
    assert context.utm == {"source": "newsletter", "campaign": "winter"}
    assert (context.country_code, context.city, context.device_class, context.os) == ("GB", "London", "mobile", "iOS")
    assert context.previous_visit_at is None  # a first visit
    assert context.started_at == T0  # the visit's start, not its last page's time (T0 + 1 s)
    assert [(e.kind, e.name) for e in first.site_events] == [
        ("event", "added_to_cart"),
        ("event", "added_to_cart"),
        ("exit_intent", None),
    ]
    assert {e.visit_id for e in first.site_events} == {first.page_views[0].visit_id}
    assert plan.new_page_rows() and not plan.dropped  # the site events store nothing


def test_site_events_need_a_page_view_first_and_are_bounded_per_request() -> None:
    plan = planned([submission({"type": "event", "name": "early"})])
    assert plan.dropped[NO_PAGE_VIEW] == 1 and not plan.events
    many = [{"type": "event", "name": f"e{i}"} for i in range(SITE_EVENTS_PER_SUBMISSION + 5)]
    plan = planned([submission({"type": "pageview", "url": "https://shop.example/"}, *many)])
    assert plan.dropped[TOO_MANY_SITE_EVENTS] == 5
    assert len(recorded(plan).site_events) == SITE_EVENTS_PER_SUBMISSION
    # The edge checks the name: bounded length and characters.
    bad = [{"type": "event", "name": "x" * 65}, {"type": "event", "name": "a b"}, {"type": "event"}]
    valid, rejected = check_events([*bad, {"type": "exit_intent"}], T0)
    assert [r.index for r in rejected] == [0, 1, 2] and len(valid) == 1


def test_a_site_event_alone_makes_an_event_of_its_own_and_a_returning_visit_says_when_the_last_one_was() -> None:
    plan = planned([submission({"type": "pageview", "url": "https://shop.example/"})])
    visitor = plan.visitors["v-1"]
    later = T0 + timedelta(hours=2)
    again = BatchPlan(Loaded({"v-1": visitor}, dict(plan.visits), {}, {"site-1": SHOP}), place_of, 20, 10.0)
    again.apply([submission({"type": "pageview", "url": "https://shop.example/"}, at=later)])
    context = recorded(again).page_views[-1].visit
    assert context is not None and context.previous_visit_at == T0 and context.started_at == later
    # The visit goes on in a later batch: its start is the stored visit's, not that batch's first page's.
    on = BatchPlan(Loaded({"v-1": again.visitors["v-1"]}, dict(again.visits), {}, {"site-1": SHOP}), place_of, 20, 10.0)
    on.apply([submission({"type": "pageview", "url": "https://shop.example/tv"}, at=later + timedelta(minutes=10))])
    going_on = recorded(on).page_views[-1]
    assert going_on.visit is not None and going_on.visit_id == context_visit(again)
    assert going_on.visit.started_at == later and going_on.visit.previous_visit_at is None
    alone = BatchPlan(Loaded({"v-1": visitor}, dict(again.visits), {}, {"site-1": SHOP}), place_of, 20, 10.0)
    alone.apply([submission({"type": "event", "name": "added_to_cart"}, at=later + timedelta(seconds=5))])
    event = recorded(alone)
    assert event.page_views == [] and [e.name for e in event.site_events] == ["added_to_cart"]


def context_visit(plan: BatchPlan) -> str:
    return recorded(plan).page_views[-1].visit_id


def matches(condition: dict[str, Any], live: LiveVisitor, now: datetime) -> bool:
    definition = RuleDefinition.model_validate(
        {"name": "r", "conditions": condition, "actions": [{"type": "show_invitation", "text": "Hi"}]}
    )
    return compile_rule(definition, "r-1", 1, "site-1", 0).matches(live.state, EvalContext(now=now.timestamp()))


def test_the_live_state_keeps_the_visit_context_and_counts_site_events_and_exit_intent_in_their_window() -> None:
    plan = planned([submission(LANDING)])
    event = recorded(plan)
    live = None
    for view in event.page_views:
        live = _viewed(live, "acc-1", "site-1", view)
    assert live is not None
    conditions: list[dict[str, Any]] = [
        {"type": "country", "op": "eq", "value": "gb"},
        {"type": "region", "op": "eq", "value": "England"},
        {"type": "device", "field": "class", "op": "eq", "value": "mobile"},
        {"type": "device", "field": "os", "op": "eq", "value": "iOS"},
        {"type": "utm", "field": "campaign", "op": "eq", "value": "winter"},
        {"type": "arrived_via", "kinds": ["search"]},
        {"type": "search_keywords", "op": "contains", "value": "oled"},
        {"type": "referrer", "op": "contains", "value": "google"},
        {"type": "returning", "value": False},
        {"type": "last_visit", "seconds": 60, "if_never": True},
    ]
    for condition in conditions:
        assert matches(condition, live, T0 + timedelta(seconds=1)), condition
    assert not matches({"type": "device", "field": "class", "op": "eq", "value": "desktop"}, live, T0)

    visit = live.state.visit_id or ""
    seen = [
        SiteEventSeen(visitor_id="v-1", visit_id=visit, name="added_to_cart", at=T0 + timedelta(seconds=s))
        for s in (10, 20)
    ]
    seen.append(SiteEventSeen(visitor_id="v-1", visit_id="another-visit", name="added_to_cart", at=T0))
    seen.append(SiteEventSeen(visitor_id="v-1", visit_id=visit, kind="exit_intent", at=T0 + timedelta(seconds=25)))
    live.state = _happened(live.state, seen)
    twice = {"type": "site_event", "name": "added_to_cart", "op": "ge", "value": 2, "within_seconds": 60}
    assert matches(twice, live, T0 + timedelta(seconds=30))
    assert not matches(twice, live, T0 + timedelta(seconds=71))  # the first aged out of the minute
    leaving = {"type": "exit_intent", "within_seconds": 10}
    assert matches(leaving, live, T0 + timedelta(seconds=30)) and not matches(leaving, live, T0 + timedelta(seconds=36))
    assert live.state.last_activity_at == (T0 + timedelta(seconds=25)).timestamp()  # a sign of life
    # Through the shared store's JSON unchanged; a page view of the same visit without context keeps it.
    assert visitor_from_json(visitor_to_json(live)) == live
    bare = event.page_views[0].model_copy(
        update={"visit": None, "page_view_id": "p2", "viewed_at": T0 + timedelta(seconds=40)}
    )
    assert _viewed(live, "acc-1", "site-1", bare).state.country_code == "GB"
    # Bounded: the newest times of a name only.
    many = [
        SiteEventSeen(visitor_id="v-1", visit_id=visit, name="tick", at=T0 + timedelta(seconds=i)) for i in range(150)
    ]
    assert len(_happened(live.state, many).events["tick"]) == KEPT_EVENT_TIMES


def test_an_older_event_without_context_or_site_events_still_parses() -> None:
    old = {"page_view_id": "p", "visitor_id": "v", "visit_id": "x", "url": "/", "title": "", "viewed_at": T0}
    event = PageviewsRecorded.model_validate({"site_id": "s", "page_views": [old]})
    assert event.page_views[0].visit is None and event.site_events == []
    assert VisitContext().utm == {}


def test_a_live_state_built_afresh_mid_visit_counts_time_on_site_from_the_visits_start() -> None:
    """The rules lost the visitor's live state (a restart embedded, Redis flushed): the next page view builds it
    afresh; tracking's visit start on it keeps "time on site" counting from the visit's real start."""
    now = T0 + timedelta(minutes=10)
    page = PageView(page_view_id="p", visitor_id="v-1", visit_id="x", url="/", title="", viewed_at=now)
    begun = page.model_copy(update={"visit": VisitContext(started_at=T0)})
    over_5: dict[str, Any] = {"type": "time_on_site", "op": "gt", "seconds": 5 * 60}
    over_15 = {**over_5, "seconds": 15 * 60}
    rebuilt = _viewed(None, "acc-1", "site-1", begun, now=now.timestamp())
    assert rebuilt.state.visit_started_at == T0.timestamp()
    assert matches(over_5, rebuilt, now) and not matches(over_15, rebuilt, now)
    # Without a start (an older event), or with one after the page view or in the future: from the page view.
    for visit in (None, VisitContext(), VisitContext(started_at=now + timedelta(seconds=1))):
        fresh = _viewed(None, "acc-1", "site-1", page.model_copy(update={"visit": visit}), now=now.timestamp())
        assert fresh.state.visit_started_at == now.timestamp() and not matches(over_5, fresh, now)
    ahead = page.model_copy(update={"viewed_at": now + timedelta(minutes=1), "visit": VisitContext(started_at=now)})
    early = _viewed(None, "acc-1", "site-1", ahead, now=(now - timedelta(seconds=1)).timestamp())
    assert early.state.visit_started_at == ahead.viewed_at.timestamp()  # a start after now is not believed
    # The context on the visitor's last page of the event moves the start the first page set.
    first, last = page.model_copy(update={"page_view_id": "p0", "viewed_at": now - timedelta(seconds=5)}), begun
    live = _viewed(_viewed(None, "acc-1", "site-1", first), "acc-1", "site-1", last)
    assert live.state.visit_started_at == T0.timestamp() and live.state.pages_viewed == 2
    # A live state's start is never moved later by a start the context gives.
    later = begun.model_copy(update={"page_view_id": "p2", "visit": VisitContext(started_at=T0 + timedelta(minutes=5))})
    assert _viewed(live, "acc-1", "site-1", later).state.visit_started_at == T0.timestamp()
