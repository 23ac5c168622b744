"""How a visitor arrived: UTM tags of the landing page, and the kind and source of the referrer."""

from urllib.parse import parse_qs, urlsplit

from services.tracking.api.schemas import ArrivedVia, Utm

# Search engines and the query parameter that carries the words, where they still send it.
SEARCH_ENGINES: dict[str, str] = {
    "google.": "q",
    "bing.com": "q",
    "yahoo.": "p",
    "duckduckgo.com": "q",
    "yandex.": "text",
    "baidu.com": "wd",
    "ecosia.org": "q",
    "search.brave.com": "q",
    "ask.com": "q",
    "naver.com": "query",
    "seznam.cz": "q",
    "qwant.com": "q",
    "startpage.com": "query",
}
SOCIAL = (
    "facebook.com",
    "fb.com",
    "instagram.com",
    "t.co",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "lnkd.in",
    "pinterest.",
    "reddit.com",
    "tiktok.com",
    "youtube.com",
    "vk.com",
    "ok.ru",
    "whatsapp.com",
    "telegram.org",
    "t.me",
)


def utm_of(url: str) -> Utm | None:
    query = parse_qs(urlsplit(url).query)
    tags = {
        name: next(iter(query.get(f"utm_{name}", [])), None)
        for name in ("source", "medium", "campaign", "term", "content")
    }
    if not any(tags.values()):
        return None
    return Utm(**{k: v[:200] if v else None for k, v in tags.items()})


def _host(url: str | None) -> str:
    if not url:
        return ""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _matches(host: str, domain: str) -> bool:
    if domain.endswith("."):  # a name under any top-level domain: google.com, google.com.br ...
        return host.startswith(domain) or f".{domain}" in host
    return host == domain or host.endswith(f".{domain}")


def arrived_via(landing_url: str, referrer: str | None) -> ArrivedVia:
    utm = utm_of(landing_url)
    host = _host(referrer)
    if host and host == _host(landing_url):
        return ArrivedVia(kind="internal", source=host)
    for domain, param in SEARCH_ENGINES.items():
        if host and _matches(host, domain):
            words = next(iter(parse_qs(urlsplit(referrer or "").query).get(param, [])), None)
            return ArrivedVia(kind="search", source=host, keywords=words[:256] if words else None)
    if utm and (utm.source or utm.campaign):
        return ArrivedVia(kind="campaign", source=utm.source or host or None, keywords=utm.term)
    if host and any(_matches(host, domain) for domain in SOCIAL):
        return ArrivedVia(kind="social", source=host)
    if host:
        return ArrivedVia(kind="referral", source=host)
    return ArrivedVia(kind="direct")
