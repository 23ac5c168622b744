"""Measures the robot detector of services/common/useragent.py on data it was not built from (TRK-8).

- Crawlers: the real user agents recorded as `instances` in Martin Monperrus' crawler-user-agents list
  (PyPI `crawler-user-agents`). Its patterns are not used; the detector uses CrawlerDetect's list.
- Browsers: the real-world browser user agents shipped by PyPI `fake-useragent` (data/browsers.jsonl).

Both packages are in requirements-dev.txt. Run:  .venv/bin/python scripts/measure_robots.py [--misses N]
It prints recall on crawlers, false positives on browsers, the misses grouped by the list entry they
come from, and, as a by-product, how often parse_device's class agrees with fake-useragent's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.common.useragent import parse_device, robot_reason


@dataclass
class Measure:
    crawlers: int
    detected: int
    browsers: int
    false_positives: int
    reasons: Counter[str] = field(default_factory=Counter)
    missed: dict[str, list[str]] = field(default_factory=dict)  # crawler-user-agents pattern -> missed UAs
    flagged: dict[str, list[str]] = field(default_factory=dict)  # reason -> browser UAs wrongly flagged

    @property
    def recall(self) -> float:
        return self.detected / self.crawlers

    @property
    def false_positive_rate(self) -> float:
        return self.false_positives / self.browsers


def crawler_user_agents() -> dict[str, str]:
    """Every distinct recorded crawler user agent -> the crawler-user-agents pattern it is listed under."""
    text = resources.files("crawleruseragents").joinpath("crawler-user-agents.json").read_text("utf-8")
    found: dict[str, str] = {}
    for entry in json.loads(text):
        for instance in entry.get("instances", []):
            if instance.strip():
                found.setdefault(instance, entry["pattern"])
    return found


def browser_user_agents() -> dict[str, str]:
    """Every distinct real browser user agent of fake-useragent -> its device type there."""
    text = resources.files("fake_useragent").joinpath("data/browsers.jsonl").read_text("utf-8")
    found: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            found.setdefault(row["useragent"], row["type"])
    return found


def measure() -> Measure:
    crawlers = crawler_user_agents()
    browsers = browser_user_agents()
    missed: defaultdict[str, list[str]] = defaultdict(list)
    flagged: defaultdict[str, list[str]] = defaultdict(list)
    reasons: Counter[str] = Counter()
    for agent, pattern in crawlers.items():
        reason = robot_reason(agent)
        if reason is None:
            missed[pattern].append(agent)
        else:
            reasons[reason] += 1
    for agent in browsers:
        reason = robot_reason(agent)
        if reason is not None:
            flagged[reason].append(agent)
    return Measure(
        crawlers=len(crawlers),
        detected=len(crawlers) - sum(len(v) for v in missed.values()),
        browsers=len(browsers),
        false_positives=sum(len(v) for v in flagged.values()),
        reasons=reasons,
        missed=dict(missed),
        flagged=dict(flagged),
    )


def device_agreement() -> tuple[int, int, Counter[tuple[str, str]]]:
    browsers = browser_user_agents()
    confusion: Counter[tuple[str, str]] = Counter()
    for agent, kind in browsers.items():
        confusion[(kind, parse_device(agent).device_class)] += 1
    agree = sum(n for (kind, got), n in confusion.items() if kind == got)
    return agree, len(browsers), confusion


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--misses", type=int, default=3, help="user agents shown per missed group")
    args = parser.parse_args()

    m = measure()
    agents = [*crawler_user_agents(), *browser_user_agents()]
    robot_reason.cache_clear()
    started = time.perf_counter()
    for agent in agents:
        robot_reason(agent)
    elapsed = time.perf_counter() - started
    print(f"crawlers (crawler-user-agents instances): {m.detected}/{m.crawlers} detected, recall {m.recall:.2%}")
    print("  by reason: " + ", ".join(f"{r} {n}" for r, n in m.reasons.most_common()))
    print(
        f"browsers (fake-useragent): {m.false_positives}/{m.browsers} flagged, "
        f"false-positive rate {m.false_positive_rate:.2%}"
    )
    print(f"  robot_reason: {elapsed / len(agents) * 1e6:.0f} µs per distinct user agent (uncached)")
    for reason, agents in sorted(m.flagged.items()):
        print(f"\nbrowsers flagged as {reason} ({len(agents)}):")
        for agent in agents[: args.misses]:
            print(f"    {agent}")
    print(f"\nmissed crawlers, grouped by their crawler-user-agents entry ({len(m.missed)} entries):")
    for pattern, agents in sorted(m.missed.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"  {pattern!r}: {len(agents)}")
        for agent in agents[: args.misses]:
            print(f"    {agent}")
    agree, total, confusion = device_agreement()
    print(f"\ndevice class agrees with fake-useragent's type on {agree}/{total} ({agree / total:.2%}); disagreements:")
    for (kind, got), n in sorted(confusion.items(), key=lambda kv: -kv[1]):
        if kind != got:
            print(f"  {kind} -> {got}: {n}")


if __name__ == "__main__":
    main()
