"""The ingest plan alone, in memory: what one batch writes, with no database and no bus."""

from datetime import datetime, timedelta, timezone
from typing import Any

from services.common.db import utcnow
from services.common.events import PageView, PageviewsRecorded, VisitorRobotDetected
from services.common.tokens import Identity
from services.common.track_events import EVENT
from services.tracking.api.schemas import TrackingSettings
from services.tracking.enrichment import Place
from services.tracking.ingest.plan import (
    NO_PAGE_VIEW,
    PAGES_PER_EVENT,
    UNKNOWN_PAGE,
    UNKNOWN_SITE,
    VISITOR_OF_ANOTHER_SITE,
    BatchPlan,
    Loaded,
    Submission,
    new_visitor_rows,
    on_known_sites,
    page_keys,
)
from services.tracking.patterns import SitePatterns

NOW = utcnow()
GUEST = Identity(kind="visitor", account_id="acc-1", site_id="site-1", visitor_id="v-1", ip="81.2.69.142")
SHOP = SitePatterns(
    TrackingSettings.model_validate(
        {"sections": [{"name": "TV", "pattern": "/tv/*"}], "products": [{"pattern": "/tv/{sku}"}]}
    )
)


def place_of(ip: str | None, user_agent: str | None) -> Place:
    return Place(location={"country_code": "GB"} if ip else None, device={"browser": user_agent})


def submission(*events: dict[str, Any], caller: Identity = GUEST, at: datetime = NOW) -> Submission:
    checked = [(i, EVENT.validate_python(e), at + timedelta(seconds=i)) for i, e in enumerate(events)]
    return Submission(caller, "Firefox", at, checked)


def pageview(path: str, **extra: Any) -> dict[str, Any]:
    return {"type": "pageview", "url": f"https://shop.example{path}", "title": path, **extra}


def loaded(batch: list[Submission], **visitor: Any) -> Loaded:
    """What the writer would read for a batch of new visitors (rows as `new_visitor_rows` makes them)."""
    rows = {row["id"]: {**_blank(), **row, **visitor} for row in new_visitor_rows(batch)}
    return Loaded(visitors=rows, visits={}, known_pages={}, patterns={"site-1": SHOP})


def _blank() -> dict[str, Any]:
    names = ("current_visit_id", "current_url", "current_title", "current_section", "page_started_at")
    return dict.fromkeys(names) | {"attributes": None, "burst_started_at": None, "contact_id": None}


def plan_of(batch: list[Submission], state: Loaded | None = None, robot_pages: int = 20) -> BatchPlan:
    plan = BatchPlan(state or loaded(batch), place_of, robot_pages, 10.0)
    plan.apply(batch)
    return plan


def test_a_first_page_view_starts_a_visit_with_where_the_visitor_came_from() -> None:
    batch = [submission(pageview("/tv/oled-55", referrer="https://www.google.com/search?q=tv"), pageview("/"))]
    plan = plan_of(batch)
    [visit] = plan.new_visit_rows()
    assert visit["landing_url"] == "https://shop.example/tv/oled-55" and visit["page_count"] == 2
    assert (visit["arrived_kind"], visit["keywords"]) == ("search", "tv")
    assert visit["location"] == {"country_code": "GB"} and visit["device"] == {"browser": "Firefox"}
    pages = plan.new_page_rows()
    assert [(p["url"], p["section"]) for p in pages] == [
        ("https://shop.example/tv/oled-55", "TV"),
        ("https://shop.example/", None),
    ]
    assert [p["sku"] for p in plan.product_rows] == ["oled-55"]
    [update] = plan.visitor_updates()
    assert update["b_current_url"] == "https://shop.example/" and update["b_visit_count"] == 1
    [(event, account)] = plan.events
    assert isinstance(event, PageviewsRecorded) and account == "acc-1" and len(event.page_views) == 2
    assert plan.dropped == {}


def test_a_page_view_after_thirty_idle_minutes_starts_a_new_visit() -> None:
    def after(minutes: int) -> BatchPlan:
        first = [submission(pageview("/a"))]
        earlier = plan_of(first)  # the visitor and visit as the first batch left them
        state = Loaded(earlier.visitors, earlier.visits, {}, earlier.patterns)
        return plan_of([submission(pageview("/b"), at=NOW + timedelta(minutes=minutes))], state)

    later = after(31)
    assert len(later.new_visit_rows()) == 1 and later.visitors["v-1"]["visit_count"] == 2
    soon = after(29)
    assert soon.new_visit_rows() == [] and [u["b_count"] for u in soon.visit_updates()] == [2]
    assert soon.visitors["v-1"]["visit_count"] == 1


def test_a_retried_page_is_stored_once_and_the_longest_visible_time_wins() -> None:
    batch = [
        submission(
            pageview("/tv/", page_id="page-0001"),
            {"type": "engagement", "page_id": "page-0001", "visible_seconds": 12.5},
            pageview("/tv/", page_id="page-0001"),
            {"type": "engagement", "page_id": "page-0001", "visible_seconds": 3},
        )
    ]
    plan = plan_of(batch)
    [page] = plan.new_page_rows()
    assert page["time_spent_seconds"] == 12.5
    retry = [submission({"type": "engagement", "page_id": "page-0001", "visible_seconds": 40})]
    state = loaded(retry)
    state.known_pages = {("v-1", "page-0001"): 12.5}
    again = plan_of(retry, state)
    assert again.new_page_rows() == [] and again.time_spent_updates() == [
        {"b_visitor": "v-1", "b_key": "page-0001", "b_spent": 40}
    ]
    assert page_keys(retry) == {("v-1", "page-0001")}


def test_events_that_cannot_be_stored_are_dropped_and_counted_by_reason() -> None:
    batch = [
        submission(
            {"type": "search", "query": "tv"},
            {"type": "engagement", "page_id": "page-9999", "visible_seconds": 3},
            pageview("/"),
            {"type": "search", "query": "radio"},
        )
    ]
    plan = plan_of(batch)
    assert plan.dropped == {NO_PAGE_VIEW: 1, UNKNOWN_PAGE: 1}
    assert [s["query"] for s in plan.search_rows] == ["radio"]


def test_a_visitor_id_stored_for_another_site_or_account_writes_nothing() -> None:
    for intruder in (
        GUEST.model_copy(update={"site_id": "site-2"}),
        GUEST.model_copy(update={"account_id": "acc-2"}),
    ):
        batch = [submission(pageview("/phishing"), pageview("/more"), caller=intruder)]
        state = loaded([submission(pageview("/"))])  # the stored visitor: acc-1, site-1
        state.patterns["site-2"] = SHOP
        plan = plan_of(batch, state)
        assert plan.dropped == {VISITOR_OF_ANOTHER_SITE: 2}
        assert plan.new_page_rows() == [] and plan.visitor_updates() == [] and plan.events == []


def test_only_batches_of_a_site_known_for_their_account_are_kept() -> None:
    mine = submission(pageview("/"))
    unknown = submission(pageview("/"), pageview("/x"), caller=GUEST.model_copy(update={"site_id": "site-9"}))
    foreign = submission(pageview("/"), caller=GUEST.model_copy(update={"account_id": "acc-2"}))
    kept, dropped = on_known_sites([mine, unknown, foreign], {"site-1": "acc-1"})
    assert kept == [mine] and dropped == {UNKNOWN_SITE: 3}


def test_a_visitor_faster_than_a_person_becomes_a_robot_and_its_pages_are_not_announced() -> None:
    batch = [submission(*(pageview(f"/p{i}") for i in range(4)))]
    plan = plan_of(batch, robot_pages=2)
    assert plan.visitors["v-1"]["is_robot"] is True and plan.changes.robots == {("acc-1", "v-1")}
    robot_events = [e for e, _ in plan.events if isinstance(e, VisitorRobotDetected)]
    [views] = [e for e, _ in plan.events if isinstance(e, PageviewsRecorded)]
    assert len(robot_events) == 1 and len(views.page_views) == 2  # the pages before it was found out
    assert len(plan.new_page_rows()) == 4  # stored all the same


def test_attributes_merge_and_a_null_removes_one() -> None:
    batch = [
        submission(
            {"type": "attributes", "attributes": {"cart_value": 10, "plan": "gold"}},
            {"type": "attributes", "attributes": {"cart_value": 25.5, "plan": None}},
        )
    ]
    plan = plan_of(batch)
    assert plan.visitors["v-1"]["attributes"] == {"cart_value": 25.5}
    assert plan.changes.updated == {"v-1"}


def test_a_page_view_reported_late_is_stored_but_leaves_the_visitor_where_they_are_now() -> None:
    newer, older = (EVENT.validate_python(pageview(p)) for p in ("/tv/", "/"))
    late = Submission(GUEST, "Firefox", NOW, [(0, newer, NOW + timedelta(seconds=30)), (1, older, NOW)])
    plan = plan_of([late])
    assert [p["url"] for p in plan.new_page_rows()] == ["https://shop.example/tv/", "https://shop.example/"]
    visitor = plan.visitors["v-1"]
    assert visitor["current_url"] == "https://shop.example/tv/" and visitor["current_section"] == "TV"
    assert visitor["last_seen_at"] == NOW + timedelta(seconds=30) and visitor["pages_viewed"] == 2


def test_page_views_are_announced_at_most_500_to_an_event() -> None:
    batch = [submission(*(pageview(f"/p{i}") for i in range(PAGES_PER_EVENT + 1)))]
    plan = plan_of(batch, robot_pages=10_000)
    sizes = [len(e.page_views) for e, _ in plan.events if isinstance(e, PageviewsRecorded)]
    assert sizes == [PAGES_PER_EVENT, 1] and len(plan.new_page_rows()) == PAGES_PER_EVENT + 1


def test_the_announced_page_views_are_the_event_the_models_would_make() -> None:
    """`pageviews.recorded` is built from the plan's dicts without validating them again: its JSON is what
    `PageviewsRecorded` makes of the same page views, whatever the zone of a time the widget sent."""
    east = timezone(timedelta(hours=2))
    times = [NOW, NOW.replace(microsecond=0).astimezone(east), NOW.replace(microsecond=500_000) + timedelta(seconds=1)]
    sent = [{"type": "attributes", "attributes": {"plan": "gold"}}, pageview("/tv/oled-55"), pageview("/")]
    checked = [(i, EVENT.validate_python(e), at) for i, (e, at) in enumerate(zip(sent, times, strict=True))]
    [(event, _)] = plan_of([Submission(GUEST, "Firefox", NOW, checked)]).events
    made = event.to_event("acc-1")
    views = made.payload["page_views"]
    assert [set(view) for view in views] == [set(PageView.model_fields)] * 2
    expected = PageviewsRecorded.model_validate({"site_id": "site-1", "page_views": views}).model_dump(mode="json")
    assert made.payload == expected and made.type == PageviewsRecorded.TYPE
    assert views[-1]["attributes"] == {"plan": "gold"} and views[0]["attributes"] is None
