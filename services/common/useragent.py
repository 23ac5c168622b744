"""Device, browser and OS from a user agent (TRK-7), and robots told by their user agent (TRK-8).

- Browser and OS come from ``ua-parser`` (the uap-core rules of ``ua-parser-builtins``, matched by the
  ``ua-parser-rs`` accelerator when it is installed).
- Known crawlers come from the list maintained by CrawlerDetect (the PyPI package ``crawlerdetect``):
  its patterns and exclusions are matched with RE2 (``google-re2``) when it is there, a DFA that makes an
  unseen user agent cost ~20 µs instead of the ~400 µs of the package's own 1,400-way Python regex; the
  answers are the same (``tests/common/test_robot_detector_quality.py`` checks it).
- Headless browsers and automation drivers, and HTTP libraries and tools, are small lists of our own.

Every function is LRU-cached on the user agent string: the gateway calls ``robot_reason`` on every widget
session. What this module cannot see (request rates, no JavaScript, site block lists) is done by the
tracking service and the gateway; see docs/robots.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, Protocol

import ua_parser

try:
    import re2
except ImportError:  # pragma: no cover - google-re2 is in requirements.txt
    re2 = None

log = logging.getLogger("floorwalker.useragent")

CACHE_SIZE = 16384
MAX_USER_AGENT_LENGTH = 1024  # longer strings are cut before matching: no real browser sends more

DeviceClass = Literal["desktop", "mobile", "tablet", "bot", "other"]
RobotReason = Literal["crawler", "headless", "no_user_agent", "tool"]


@dataclass(frozen=True)
class Device:
    browser: str | None
    browser_version: str | None
    os: str | None
    os_version: str | None
    device_class: DeviceClass


class _Pattern(Protocol):
    def search(self, text: str, /) -> object | None: ...


def _re2_options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.never_capture = True
    options.log_errors = False
    options.max_mem = 64 << 20
    return options


def _compile(pattern: str, *, fast: bool = True) -> _Pattern:
    """A case-insensitive pattern, run by RE2 (a DFA: no backtracking, fast on long alternations) if it can."""
    if fast and re2 is not None:
        try:
            return re2.compile(pattern, _re2_options())  # type: ignore[no-any-return]
        except re2.error:
            pass
    return re.compile(pattern, re.IGNORECASE)


# Headless browsers and browser automation (but not Electron: real desktop apps are built on it).
_HEADLESS = _compile(
    r"headless|phantomjs|slimerjs|puppeteer|playwright|selenium|webdriver|chromedriver|geckodriver"
    r"|cypress/|nightmare|jsdom/|htmlunit|zombie\.js|splash/|\bwpt\b|lighthouse"
)

# HTTP libraries and command-line tools: a user agent that starts with one of these products (or names
# it as a word). CrawlerDetect knows most of them already; this catches the rest.
_TOOL = _compile(
    r"(?:^|[\s(;])(?:curl|wget|libcurl|pycurl|python-requests|python-urllib|python-httpx|python/|aiohttp"
    r"|httpx|urllib|go-http-client|go\s+\S+\s+package\s+http|okhttp|java/|apache-httpclient|jakarta"
    r"|libwww-perl|lwp::|http_request|php/|guzzlehttp|axios|node-fetch|undici|got\s|superagent"
    r"|postmanruntime|insomnia|httpie|restsharp|winhttp|wininet|powershell|ruby|faraday|rest-client"
    r"|typhoeus|excon|dart/|reqwest|hyper/|ureq/|scrapy|mechanize|httpclient|http\.rb|deno/|k6/"
    r"|apachebench|siege|jmeter|locust|gatling|vegeta|bombardier|nmap|masscan|zgrab|nikto|sqlmap|nuclei)"
)


# A robot that names itself: a link to its page (browsers never carry one), or "compatible;" followed
# by anything but the browsers that used it (MSIE, Konqueror).
_SELF_DECLARED = re.compile(r"https?://|\+https?\b|\bwww\.|compatible;\s*(?!msie|konqueror)", re.IGNORECASE)

# Every browser's user agent starts with Mozilla/ (Opera/ for old Opera) and names its engine; a client
# that sends anything else is a program, not a person's browser running the widget.
_BROWSER_SHAPE = re.compile(r"\s*(?:mozilla|opera)/\d.*(?:applewebkit|gecko|trident|presto|msie|khtml)", re.IGNORECASE)


def _crawler_matcher(fast: bool = True) -> Callable[[str], bool]:
    """CrawlerDetect's rule on CrawlerDetect's lists: remove the browser-like exclusions, then any crawler
    pattern left is a robot. RE2 runs the 1,400 patterns in one DFA pass; the few it cannot (look-arounds)
    are left to Python's re. Without RE2 (fast=False), CrawlerDetect's own matcher does it."""
    if not fast or re2 is None:
        return _crawlerdetect_matcher()
    try:
        from crawlerdetect.providers.crawlers import data as crawler_patterns
        from crawlerdetect.providers.exclusions import data as exclusion_patterns
    except ImportError:  # pragma: no cover - a crawlerdetect that keeps its lists elsewhere
        log.warning("crawlerdetect's lists not found where expected: using its own (slower) matcher")
        return _crawlerdetect_matcher()
    options = _re2_options()
    portable: list[str] = []
    others: list[str] = []
    for pattern in crawler_patterns:
        try:
            re2.compile(pattern, options)
            portable.append(pattern)
        except re2.error:
            others.append(pattern)
    crawlers = re2.compile("|".join(portable), options)
    rest = re.compile("|".join(others), re.IGNORECASE) if others else None
    exclusions = re.compile("|".join(exclusion_patterns), re.IGNORECASE)

    def is_crawler(user_agent: str) -> bool:
        agent = exclusions.sub("", user_agent)
        if not agent:
            return False
        return crawlers.search(agent) is not None or (rest is not None and rest.search(agent) is not None)

    return is_crawler


def _crawlerdetect_matcher() -> Callable[[str], bool]:
    from crawlerdetect import CrawlerDetect

    detector: Any = CrawlerDetect()

    def is_crawler(user_agent: str) -> bool:
        return bool(detector.is_crawler(user_agent))

    return is_crawler


_is_crawler: Callable[[str], bool] | None = None


def is_known_crawler(user_agent: str) -> bool:
    """Whether CrawlerDetect's list names this user agent (the matcher is built on first use)."""
    global _is_crawler
    if _is_crawler is None:
        _is_crawler = _crawler_matcher()
    return _is_crawler(user_agent.strip())


@lru_cache(maxsize=CACHE_SIZE)
def robot_reason(user_agent: str | None) -> RobotReason | None:
    """Why this user agent is a robot, or None when it looks like a person's browser."""
    if user_agent is None or not user_agent.strip():
        return "no_user_agent"
    agent = user_agent[:MAX_USER_AGENT_LENGTH]
    if _HEADLESS.search(agent):
        return "headless"
    if is_known_crawler(agent):
        return "crawler"
    if _SELF_DECLARED.search(agent):
        return "crawler"
    if _TOOL.search(agent) or not _BROWSER_SHAPE.match(agent):
        return "tool"
    return None


def _version(*parts: str | None) -> str | None:
    kept: list[str] = []
    for part in parts:
        if part is None:
            break
        kept.append(part)
    return ".".join(kept) or None


_TABLET = re.compile(r"ipad|tablet(?! pc)|kindle|silk/|playbook|nexus (?:7|9|10)\b|sm-t\d|gt-p\d", re.IGNORECASE)
_MOBILE = re.compile(
    r"mobi|iphone|ipod|windows phone|iemobile|blackberry|bb10|opera mini|android.*mobile", re.IGNORECASE
)
_DESKTOP = re.compile(r"windows nt|macintosh|x11|\bcros\b", re.IGNORECASE)
_DESKTOP_OS = frozenset(
    {
        "Windows",
        "Mac OS X",
        "Linux",
        "Ubuntu",
        "Fedora",
        "Debian",
        "Chrome OS",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Solaris",
        "Red Hat",
        "Mint",
        "Arch Linux",
        "SUSE",
        "Gentoo",
        "Slackware",
        "Mandriva",
        "CentOS",
    }
)


def _device_class(agent: str, result: ua_parser.Result) -> DeviceClass:
    if robot_reason(agent) is not None or (result.device is not None and result.device.family == "Spider"):
        return "bot"
    os_family = result.os.family if result.os is not None else None
    android = os_family == "Android" or "android" in agent.lower()
    if _TABLET.search(agent) or (android and "mobile" not in agent.lower()):
        return "tablet"
    if _MOBILE.search(agent) or os_family in {"iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS"}:
        return "mobile"
    if os_family in _DESKTOP_OS or (os_family or "").startswith("Windows"):
        return "desktop"
    if _DESKTOP.search(agent):
        return "desktop"
    return "other"


@lru_cache(maxsize=CACHE_SIZE)
def parse_device(user_agent: str | None) -> Device:
    """Browser, OS and device class of a user agent; an empty one is a robot with nothing known."""
    if user_agent is None or not user_agent.strip():
        return Device(None, None, None, None, "bot")
    agent = user_agent[:MAX_USER_AGENT_LENGTH]
    result = ua_parser.parse(agent)
    browser = result.user_agent
    os = result.os
    return Device(
        browser=browser.family if browser is not None else None,
        browser_version=_version(browser.major, browser.minor) if browser is not None else None,
        os=os.family if os is not None else None,
        os_version=_version(os.major, os.minor, os.patch) if os is not None else None,
        device_class=_device_class(agent, result),
    )
