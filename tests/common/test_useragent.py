import time

import pytest

from services.common import useragent
from services.common.useragent import Device, parse_device, robot_reason

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36 Edg/131.0.2903.86"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.6 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
)
SAMSUNG_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 "
    "Chrome/122.0.0.0 Mobile Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 "
    "Mobile/15E148 Safari/604.1"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
FIREFOX_ANDROID_TABLET = "Mozilla/5.0 (Android 13; Tablet; rv:133.0) Gecko/133.0 Firefox/133.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (CHROME_WINDOWS, Device("Chrome", "131.0", "Windows", "10", "desktop")),
        (FIREFOX_LINUX, Device("Firefox", "133.0", "Ubuntu", None, "desktop")),
        (SAFARI_MAC, Device("Safari", "18.1", "Mac OS X", "10.15.7", "desktop")),
        (EDGE, Device("Edge", "131.0", "Windows", "10", "desktop")),
        (IPHONE, Device("Mobile Safari", "17.6", "iOS", "17.6.1", "mobile")),
        (ANDROID_PHONE, Device("Chrome Mobile", "131.0", "Android", "10", "mobile")),
        (SAMSUNG_PHONE, Device("Samsung Internet", "26.0", "Android", "14", "mobile")),
        (IPAD, Device("Mobile Safari", "17.6", "iOS", "17.6", "tablet")),
        (ANDROID_TABLET, Device("Chrome", "131.0", "Android", "13", "tablet")),
        (FIREFOX_ANDROID_TABLET, Device("Firefox Mobile", "133.0", "Android", "13", "tablet")),
    ],
)
def test_browsers_os_and_device_class(agent: str, expected: Device) -> None:
    assert parse_device(agent) == expected


def test_robots_are_the_bot_class() -> None:
    assert parse_device(GOOGLEBOT).device_class == "bot"
    assert parse_device(GOOGLEBOT).browser == "Googlebot"
    assert parse_device(HEADLESS_CHROME).device_class == "bot"
    assert parse_device("curl/8.5.0").device_class == "bot"
    assert parse_device(None) == Device(None, None, None, None, "bot")
    assert parse_device("") == Device(None, None, None, None, "bot")


def test_an_unrecognised_browser_like_agent_is_other() -> None:
    device = parse_device("Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)")
    assert device.device_class in {"other", "desktop"}
    assert parse_device("Mozilla/5.0 (SomeOS 1.0) AppleWebKit/537.36 (KHTML, like Gecko)").device_class == "other"


@pytest.mark.parametrize(
    "agent",
    [CHROME_WINDOWS, FIREFOX_LINUX, SAFARI_MAC, EDGE, IPHONE, ANDROID_PHONE, SAMSUNG_PHONE, IPAD, ANDROID_TABLET],
)
def test_people_s_browsers_are_not_robots(agent: str) -> None:
    assert robot_reason(agent) is None


@pytest.mark.parametrize(
    ("agent", "reason"),
    [
        (None, "no_user_agent"),
        ("", "no_user_agent"),
        ("   ", "no_user_agent"),
        (GOOGLEBOT, "crawler"),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "crawler"),
        ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "crawler"),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", "crawler"),
        (
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
            "crawler",
        ),
        ("curl/8.5.0", "crawler"),  # CrawlerDetect's list already names the common tools
        ("python-requests/2.32.3", "crawler"),
        (HEADLESS_CHROME, "headless"),
        (
            "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
            "headless",
        ),
        (CHROME_WINDOWS + " Puppeteer", "headless"),
        (FIREFOX_LINUX + " Selenium/4.0", "headless"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) jsdom/24.0.0", "headless"),
        ("Mozilla/5.0 (Example; +https://example.com/about-our-fetcher)", "crawler"),  # names itself by a link
        ("Mozilla/5.0 (compatible; SomeAuditor)", "crawler"),
        ("MyInternalMonitor 3.1", "tool"),  # not a browser's user agent at all
        ("Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A)", "tool"),
        ("Mozilla/5.0", "tool"),  # no engine: no browser sends this
    ],
)
def test_robot_reasons(agent: str | None, reason: str) -> None:
    assert robot_reason(agent) == reason


def test_the_tool_list_catches_what_crawlerdetect_does_not() -> None:
    assert useragent._TOOL.search("k6/0.49.0 (https://k6.io/)") is not None
    assert useragent._TOOL.search("Mozilla/5.0 (compatible) HTTPie/3.2") is not None
    assert useragent._TOOL.search(CHROME_WINDOWS) is None


def test_electron_apps_are_not_headless() -> None:
    notion = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Notion/3.18.0 "
        "Chrome/124.0.6367.243 Electron/30.5.1 Safari/537.36"
    )
    assert robot_reason(notion) is None


def test_a_huge_user_agent_is_cut_and_answered_quickly() -> None:
    agent = CHROME_WINDOWS + " x" * 500_000
    started = time.perf_counter()
    assert robot_reason(agent) is None
    parse_device(agent)
    assert time.perf_counter() - started < 1.0


def test_answers_are_cached() -> None:
    assert robot_reason.cache_info().maxsize == useragent.CACHE_SIZE
    parse_device(CHROME_WINDOWS)
    assert parse_device(CHROME_WINDOWS) is parse_device(CHROME_WINDOWS)


def test_without_re2_crawlerdetect_itself_gives_the_same_answers() -> None:
    fast, slow = useragent._crawler_matcher(), useragent._crawler_matcher(fast=False)
    for agent in (GOOGLEBOT, CHROME_WINDOWS, IPHONE, "curl/8", "Yandex/1.0", "YandexSearch/9 Mobile", "Mozilla/5.0"):
        assert fast(agent) == slow(agent), agent
