"""The language a site's widget speaks (EMB-11): "auto" (the page's `<html lang>`, else the browser's, else English)
or one of the widget's catalogues. The widget gets it in its session (`PublicSite.language`)."""

from typing import Literal

SiteLanguage = Literal["auto", "en", "pt-BR", "ru", "pl", "ar"]
DEFAULT_LANGUAGE: SiteLanguage = "auto"
LANGUAGE_DESCRIPTION = (
    "The widget's language: \"auto\" (the page's `<html lang>`, else the browser's, else English) or one of "
    '"en", "pt-BR", "ru", "pl", "ar" (Arabic lays the widget out right to left).'
)

WidgetLanguage = Literal["en", "pt-BR", "ru", "pl", "ar"]
MAX_LANG_TAG = 35  # a BCP 47 tag the page sends (`<html lang>`)
LAUNCHER_TITLES: dict[str, str] = {
    "en": "Chat with us",
    "pt-BR": "Fale conosco",
    "ru": "Напишите нам",
    "pl": "Napisz do nas",
    "ar": "تحدث معنا",
}


_BY_PRIMARY: dict[str, WidgetLanguage] = {"en": "en", "pt": "pt-BR", "ru": "ru", "pl": "pl", "ar": "ar"}


def match_language(tag: str | None) -> WidgetLanguage | None:
    """The widget's language a BCP 47 tag asks for ("pt", "pt-PT", "pt-BR": Brazilian Portuguese), or None."""
    primary = (tag or "").strip().replace("_", "-").split("-")[0].lower()
    return _BY_PRIMARY.get(primary)


def _accepted(header: str | None) -> list[str]:
    """Accept-Language's tags, most wanted first (a q of 0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def widget_language(setting: str, page_lang: str | None, accept_language: str | None) -> WidgetLanguage:
    """The site's setting when it names a language, else the page's `lang`, else the browser's, else English."""
    for tag in (None if setting == "auto" else setting, page_lang, *_accepted(accept_language)):
        found = match_language(tag)
        if found:
            return found
    return "en"
