"""What the live rules make of tracking's page views (the section, product and search words of each page, in
`pageviews.recorded`) and of chat's operator presence: time and pages in a section, the current section,
products viewed and searches, and who is online or free in a queue."""

from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.events import OperatorPresenceChanged, PageView, PageviewsRecorded
from services.common.track_events import EVENT
from services.rules.engine import EvalContext, RuleDefinition, compile_rule
from services.rules.live import _viewed
from services.rules.live_store import LiveVisitor, visitor_from_json, visitor_to_json
from services.rules.presence import availability_of
from services.tracking.api.schemas import TrackingSettings
from services.tracking.enrichment import Place
from services.tracking.ingest.plan import BatchPlan, Loaded, Submission, new_visitor_rows
from services.tracking.patterns import SitePatterns

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
VISIT = "visit-1"


def page(url: str, second: float, section: str | None = None, **facts: Any) -> PageView:
    return PageView(
        page_view_id=url,
        visitor_id="v-1",
        visit_id=VISIT,
        url=url,
        title=url,
        viewed_at=T0 + timedelta(seconds=second),
        section=section,
        **facts,
    )


def walk(*views: PageView) -> LiveVisitor:
    live = None
    for view in views:
        live = _viewed(live, "acc-1", "site-1", view)
    assert live is not None
    return live


def matches(condition: dict[str, Any], live: LiveVisitor, at_second: float, **ctx: Any) -> bool:
    definition = RuleDefinition.model_validate(
        {"name": "r", "conditions": condition, "actions": [{"type": "show_invitation", "text": "Hi"}]}
    )
    rule = compile_rule(definition, "r-1", 1, "site-1", 0)
    now = (T0 + timedelta(seconds=at_second)).timestamp()
    return rule.matches(live.state, EvalContext(now=now, **ctx))


def test_time_and_pages_in_a_section_the_current_section_products_and_searches_follow_the_page_views() -> None:
    live = walk(
        page("/", 0),
        page("/it/", 10, "IT"),
        page("/it/laptop-14", 70, "IT", product_sku="laptop-14"),
        page("/search?q=mouse", 100, None, search_query="mouse"),
        page("/it/", 130, "IT"),
    )
    state = live.state
    assert (state.section, state.section_pages, state.pages_viewed) == ("IT", {"IT": 3}, 5)
    assert state.section_seconds == {"IT": 90.0}  # 10..100 on IT pages left, the current one not yet
    assert [p.sku for p in state.products] == ["laptop-14"] and [s.query for s in state.searches] == ["mouse"]
    stay = {"type": "time_in_section", "section": "it", "seconds": 60}
    assert not matches(stay, live, 189) and matches(stay, live, 190)  # the stay began again at 130
    visit = {**stay, "seconds": 120, "scope": "visit"}
    assert not matches(visit, live, 159) and matches(visit, live, 160)  # 90 s before + 30 s now
    assert matches({"type": "pages_in_section", "section": "IT", "op": "ge", "value": 3}, live, 130)
    assert matches({"type": "current_section", "op": "eq", "value": "IT"}, live, 130)
    assert matches({"type": "products_viewed", "op": "ge", "value": 1}, live, 130)
    assert matches({"type": "searches", "op": "ge", "value": 1}, live, 130)
    # An uninterrupted stay across two pages of the section counts from its first page.
    staying = walk(page("/it/", 0, "IT"), page("/it/b", 50, "IT"))
    assert matches(stay, staying, 60) and staying.state.section_entered_at == T0.timestamp()
    # The live state goes through the shared store's JSON unchanged.
    assert visitor_from_json(visitor_to_json(live)) == live


def test_an_older_event_without_the_page_facts_still_parses_and_knows_no_section() -> None:
    old = {"page_view_id": "p", "visitor_id": "v", "visit_id": "x", "url": "/it/", "title": "", "viewed_at": T0}
    view = PageviewsRecorded.model_validate({"site_id": "s", "page_views": [old]}).page_views[0]
    assert (view.section, view.product_sku, view.search_query) == (None, None, None)
    assert walk(view).state.section is None


def test_tracking_puts_the_section_product_and_search_of_each_page_in_pageviews_recorded() -> None:
    from services.common.tokens import Identity

    patterns = SitePatterns(
        TrackingSettings.model_validate(
            {
                "sections": [{"name": "IT", "pattern": "/it/*"}],
                "products": [{"pattern": "/it/{sku}"}],
                "searches": [{"pattern": "/search", "param": "q"}],
            }
        )
    )
    guest = Identity(kind="visitor", account_id="acc-1", site_id="site-1", visitor_id="v-1", ip="81.2.69.142")
    urls = ["https://shop.example/it/laptop-14", "https://shop.example/search?q=mouse", "https://shop.example/"]
    events = [
        (i, EVENT.validate_python({"type": "pageview", "url": u}), T0 + timedelta(seconds=i))
        for i, u in enumerate(urls)
    ]
    batch = [Submission(guest, "Firefox", T0, events)]
    blank = dict.fromkeys(("current_visit_id", "current_url", "current_title", "current_section", "page_started_at"))
    rows = {r["id"]: {**blank, "attributes": None, "burst_started_at": None, **r} for r in new_visitor_rows(batch)}
    plan = BatchPlan(Loaded(rows, {}, {}, {"site-1": patterns}), lambda ip, ua: Place(None, None), 20, 10.0)
    plan.apply(batch)
    [(payload, _)] = plan.events
    assert isinstance(payload, PageviewsRecorded)
    views = payload.to_event("acc-1").payload["page_views"]  # what the rules service receives
    assert [(v["section"], v["product_sku"], v["search_query"]) for v in views] == [
        ("IT", "laptop-14", None),
        (None, None, "mouse"),
        (None, None, None),
    ]


def presence(user: str, status: str, active: int = 0, queues: tuple[str, ...] = ()) -> OperatorPresenceChanged:
    return OperatorPresenceChanged(
        user_id=user, status=status, max_chats=2, active_chats=active, queue_ids=list(queues), at=T0
    )


def test_operators_online_and_free_in_a_queue_come_from_their_presence() -> None:
    found = availability_of(
        [
            presence("olga", "online", 2, ("sales",)),  # online, but full
            presence("ivan", "online", 1, ("sales", "support")),
            presence("zoe", "away", 0, ("sales",)),
        ]
    )
    assert found.online == {"olga", "ivan"} and found.free == {"ivan"}
    assert found.free_in_queue == {"sales": 1, "support": 1}
    live = walk(page("/", 0))
    ctx = {"operators_online": found.online, "free_operators": len(found.free), "free_in_queue": found.free_in_queue}
    assert matches({"type": "operators_online", "operator_ids": ["zoe", "olga"]}, live, 1, **ctx)
    assert not matches({"type": "operators_online", "operator_ids": ["zoe"]}, live, 1, **ctx)
    assert matches({"type": "operator_free", "queue_id": "support"}, live, 1, **ctx)
    assert not matches({"type": "operator_free", "queue_id": "billing"}, live, 1, **ctx)
    assert not matches({"type": "operators_online"}, live, 1)  # nobody
