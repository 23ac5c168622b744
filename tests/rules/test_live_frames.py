"""The live rules' invitation frame: the same firing decided twice (a redelivered page view, two rules
replicas) is the same invitation (the gateway keeps it once, the widget shows it once); the next firing, or
the next visit, is a new one."""

from services.rules.engine import RuleDefinition, RuleHistory, VisitorState, compile_rule
from services.rules.live import invitation_frame

RULE = RuleDefinition.model_validate(
    {
        "name": "Laptops",
        "conditions": {"type": "pages_viewed", "value": 1},
        "actions": [{"type": "show_invitation", "text": "Hi!", "delay_s": 2}],
    }
)


def test_the_same_firing_is_the_same_invitation_and_the_next_visit_a_new_one() -> None:
    rule = compile_rule(RULE, "rule-1", 3)
    state = VisitorState(visitor_id="v1", site_id="s1", visit_id="visit-1")
    first = invitation_frame(state, rule, RuleHistory(), 1000.0)
    again = invitation_frame(state, rule, RuleHistory(), 1005.0)  # another replica, a moment later
    assert first is not None and again is not None
    assert first["invitation_id"] == again["invitation_id"]
    assert (first["rule_id"], first["variant"], first["text"], first["delay_s"]) == ("rule-1", "default", "Hi!", 2.0)
    later = invitation_frame(state, rule, RuleHistory(fired_this_visit=1, fired_total=1), 1010.0)
    next_visit = invitation_frame(
        VisitorState(visitor_id="v1", site_id="s1", visit_id="visit-2"), rule, RuleHistory(), 1
    )
    assert later is not None and next_visit is not None
    assert len({first["invitation_id"], later["invitation_id"], next_visit["invitation_id"]}) == 3
