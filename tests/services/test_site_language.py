"""A site's widget language (EMB-11): set by the account's admin, checked (an unknown language is 422) and given
to the widget with its session."""

from services.common.settings import Settings
from tests.services.gateway_harness import bearer, gateway, login

SITE = {"name": "Loja", "allowed_origins": ["https://loja.example"]}
ORIGIN = {"origin": "https://loja.example"}


async def test_the_admin_sets_the_widget_language_and_the_widget_gets_it(settings: Settings) -> None:
    async with gateway(settings) as client:
        admin = bearer(await login(client))
        made = await client.post("/api/v1/sites", json={**SITE, "language": "pt-BR"}, headers=admin)
        assert made.status_code == 201, made.text
        assert made.json()["language"] == "pt-BR"
        site_id, key = made.json()["id"], made.json()["site_key"]
        session = await client.post("/api/v1/widget/session", json={"site_key": key}, headers=ORIGIN)
        assert session.status_code == 200, session.text
        assert session.json()["site"]["language"] == "pt-BR"

        for unknown in ("klingon", "pt", "EN", "", 5):
            refused = await client.patch(f"/api/v1/sites/{site_id}", json={"language": unknown}, headers=admin)
            assert refused.status_code == 422 and "language" in refused.text, (unknown, refused.text)
        changed = await client.patch(f"/api/v1/sites/{site_id}", json={"language": "ar"}, headers=admin)
        assert changed.status_code == 200 and changed.json()["language"] == "ar"
        session = await client.post(
            "/api/v1/widget/session", json={"site_key": key, "lang": "ru"}, headers={**ORIGIN, "accept-language": "pl"}
        )
        assert session.json()["site"]["language"] == "ar", "the site's setting wins over the page and the browser"

        plain = await client.post("/api/v1/sites", json={**SITE, "name": "Shop"}, headers=admin)
        assert plain.json()["language"] == "auto", "a site left alone follows the page and the browser"
        auto_key = plain.json()["site_key"]
        cases = [  # (the page's <html lang>, Accept-Language) -> the widget's language and launcher title
            ("ru-RU", "pl;q=0.9", "ru", "Напишите нам"),
            ("", "de-DE, pl;q=0.8, en;q=0.5", "pl", "Napisz do nas"),
            ("fr", "pt-PT;q=0.7, ar;q=0.9", "ar", "تحدث معنا"),
            (None, "de, fr", "en", "Chat with us"),
        ]
        for page_lang, accepted, language, title in cases:
            body = {"site_key": auto_key} | ({"lang": page_lang} if page_lang is not None else {})
            answer = await client.post(
                "/api/v1/widget/session", json=body, headers={**ORIGIN, "accept-language": accepted}
            )
            assert (answer.json()["site"]["language"], answer.json()["site"]["launcher_title"]) == (language, title)
        too_long = await client.post(
            "/api/v1/widget/session", json={"site_key": auto_key, "lang": "x" * 36}, headers=ORIGIN
        )
        assert too_long.status_code == 422
