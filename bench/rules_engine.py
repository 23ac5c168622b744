"""Micro-benchmark of the rules engine (issue 12): evaluations per second on one core, 200 compiled rules
over a population of varied live visitors, in-process (no service, no I/O). Prints rule evaluations per
second (one rule against one visitor's state: the issue's target is >= 20,000), and rule-set evaluations
per second (one visitor against all the site's rules through `RuleSet`, which skips the rules needing
another section: the real-time part's unit of work per event).

    .venv/bin/python bench/rules_engine.py [--rules 200] [--visitors 1000] [--seconds 3]
"""

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.rules.engine import (
    CompiledRule,
    EvalContext,
    ProductSeen,
    RuleDefinition,
    RuleSet,
    SearchSeen,
    VisitorState,
    compile_rule,
    evaluate_rules,
)

SECTIONS = ["informatica", "tv", "phones", "kitchen", "garden", "toys", "books", "audio"]
COUNTRIES = [("BR", "Brazil"), ("PT", "Portugal"), ("US", "United States"), ("DE", "Germany"), ("AR", "Argentina")]
DEVICES = ["desktop", "mobile", "tablet"]
OPERATORS = [f"op-{n}" for n in range(10)]
NOW = 1_800_000_000.0


def rule_json(rng: random.Random, n: int) -> dict[str, Any]:
    """A plausible rule: a section and a time, some of: pages, country, device, returning, an attribute,
    a URL pattern, operators online, an OR of arrival conditions, a NOT."""
    section = rng.choice(SECTIONS)
    conditions: list[dict[str, Any]] = [
        {"type": "time_in_section", "section": section, "seconds": rng.choice([30, 60, 120, 180, 300])},
        {"type": "pages_viewed", "op": "ge", "value": rng.randint(1, 8)},
    ]
    extras: list[dict[str, Any]] = [
        {"type": "country", "op": "in", "value": [c for c, _ in rng.sample(COUNTRIES, 2)]},
        {"type": "device", "field": "class", "op": "eq", "value": rng.choice(DEVICES)},
        {"type": "returning", "value": rng.random() < 0.5},
        {"type": "attribute", "name": "orders", "op": "ge", "value": rng.randint(0, 5)},
        {"type": "current_url", "op": "regex", "value": f"/{section}/.*(sale|promo)?"},
        {"type": "operators_online", "operator_ids": rng.sample(OPERATORS, 3)},
        {
            "type": "or",
            "conditions": [
                {"type": "utm", "field": "source", "op": "eq", "value": "newsletter"},
                {"type": "referrer", "op": "contains", "value": "google"},
                {"type": "arrived_via", "kinds": ["search", "campaign"]},
            ],
        },
        {"type": "not", "condition": {"type": "segment", "op": "eq", "value": "low_potential"}},
        {"type": "site_event", "name": "added_to_cart", "op": "ge", "value": 1, "within_seconds": 600},
        {
            "type": "products_viewed",
            "op": "ge",
            "value": 2,
            "match": {"field": "category", "op": "eq", "value": section},
        },
    ]
    conditions += rng.sample(extras, rng.randint(1, 4))
    return {
        "name": f"rule {n}",
        "conditions": {"type": "and", "conditions": conditions},
        "actions": [{"type": "show_invitation", "text": "Can I help you?", "delay_s": 2}],
    }


def visitor(rng: random.Random, n: int) -> VisitorState:
    section = rng.choice([*SECTIONS, None])
    code, name = rng.choice(COUNTRIES)
    entered = NOW - rng.uniform(0, 400)
    return VisitorState(
        visitor_id=f"visitor-{n}",
        site_id="site",
        visit_started_at=entered - rng.uniform(0, 900),
        page_started_at=entered + rng.uniform(0, 30),
        last_activity_at=NOW - rng.uniform(0, 60),
        current_url=f"https://shop.example/{section or 'home'}/item-{n}",
        current_title="Item",
        section=section,
        section_entered_at=entered if section else None,
        pages_viewed=rng.randint(1, 15),
        visit_count=rng.randint(1, 6),
        returning=rng.random() < 0.4,
        referrer=rng.choice([None, "https://www.google.com/", "https://news.example/"]),
        arrived_via=rng.choice(["direct", "search", "campaign", "referral"]),
        utm={"source": "newsletter"} if rng.random() < 0.2 else {},
        country_code=code,
        country=name,
        device_class=rng.choice(DEVICES),
        segment=rng.choice(["most_valuable", "most_potential", "intermediate", "low_potential"]),
        attributes={"orders": rng.randint(0, 9)},
        products=tuple(ProductSeen(name=f"p{i}", category=rng.choice(SECTIONS)) for i in range(rng.randint(0, 4))),
        searches=tuple(SearchSeen(query="tv 55") for _ in range(rng.randint(0, 2))),
        events={"added_to_cart": [NOW - 120]} if rng.random() < 0.3 else {},
    )


def compiled_rules(count: int, rng: random.Random) -> list[CompiledRule]:
    return [
        compile_rule(RuleDefinition.model_validate(rule_json(rng, n)), f"rule-{n}", 1, "site", n) for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--visitors", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    rules = compiled_rules(args.rules, rng)
    compile_ms = (time.perf_counter() - started) * 1000
    people = [visitor(rng, n) for n in range(args.visitors)]
    ctx = EvalContext(now=NOW, operators_online=frozenset(rng.sample(OPERATORS, 4)), free_operators=2)

    # 1. Every rule on its own against every visitor: rule evaluations per second.
    evaluations, matched, timers = 0, 0, 0
    deadline = time.perf_counter() + args.seconds
    began = time.perf_counter()
    while time.perf_counter() < deadline:
        for state in people:
            for _, verdict in evaluate_rules(rules, state, ctx):
                matched += verdict.matched
                timers += verdict.next_check_at is not None
            evaluations += len(rules)
    per_rule = evaluations / (time.perf_counter() - began)

    # 2. The site's rule set (indexed by section) against every visitor: what the real-time part does per event.
    ruleset = RuleSet(rules)
    visits, set_matched = 0, 0
    deadline = time.perf_counter() + args.seconds
    began = time.perf_counter()
    while time.perf_counter() < deadline:
        for state in people:
            set_matched += len(ruleset.evaluate(state, ctx).matched)
            visits += 1
    per_visitor = visits / (time.perf_counter() - began)

    print(f"rules {len(rules)}  visitors {len(people)}  compiled in {compile_ms:.0f} ms")
    print(f"matched {matched / evaluations:.2%} of rule evaluations; {timers / evaluations:.2%} give a next check")
    print(f"rule_set_evals_per_s {per_visitor:,.0f}  (one visitor against the site's {len(rules)} rules, indexed)")
    print(
        f"  = {per_visitor * len(rules):,.0f} rule evaluations/s in effect; {set_matched / max(visits, 1):.2f} matches each"
    )
    print(f"evals_per_s {per_rule:,.0f}  (one rule against one visitor, every rule tested; target >= 20,000)")


if __name__ == "__main__":
    main()
