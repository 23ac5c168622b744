"""A site's widget look (EMB-3) through the gateway, on SQLite and PostgreSQL: an admin sets colours, corner,
launcher, logo and greeting; the widget gets them with its session; bad values are 422 and change nothing."""

from typing import Any

from services.common.settings import Settings
from tests.chat_client import SITE_KEY
from tests.helpers import BROWSER_UA
from tests.services.gateway_harness import bearer, gateway, login, second_account

LOOK: dict[str, Any] = {
    "color": "#0f766e",
    "text_color": "#fefce8",
    "position": "left",
    "launcher": "bar",
    "logo_url": "https://shop.example/logo.png",
    "show_operator_photo": True,
    "title": "Talk to us",
    "greeting": "Hi! <b>Need help?</b>",
    "sound": False,
}


async def test_an_admin_sets_the_look_and_the_widget_gets_it_bad_values_are_refused(settings: Settings) -> None:
    async with gateway(settings) as client:
        client.headers.update({"origin": "http://127.0.0.1:8000", "user-agent": BROWSER_UA})
        admin = await login(client)
        site_id = (await client.get("/api/v1/sites", headers=bearer(admin))).json()["sites"][0]["id"]
        path = f"/api/v1/sites/{site_id}"
        for bad in (
            {"color": "red"},
            {"color": "#12345"},
            {"text_color": "#gggggg"},
            {"logo_url": "http://shop.example/logo.png"},  # https only
            {"logo_url": "javascript:alert(1)"},
            {"logo_url": "data:image/svg+xml,<svg onload=alert(1)>"},
            {"logo_url": "//evil.example/logo.png"},  # scheme-relative: another origin
            {"logo_url": "/\\evil.example/logo.png"},
            {"logo_url": "https://shop.example/a.png) ; background:url(https://evil.example"},
            {"launcher": "popup"},
            {"position": "top"},
            {"greeting": "x" * 501},
            {"unknown": 1},
        ):
            answer = await client.patch(path, json={"widget": {**LOOK, **bad}}, headers=bearer(admin))
            assert answer.status_code == 422, (bad, answer.text)
            assert answer.json()["error"]["code"] == "validation_error"
        session = await client.post("/api/v1/widget/session", json={"site_key": SITE_KEY})
        assert session.json()["site"]["widget"]["color"] != LOOK["color"]  # nothing of the refused bodies stuck

        saved = await client.patch(path, json={"widget": LOOK}, headers=bearer(admin))
        assert saved.status_code == 200, saved.text
        assert saved.json()["widget"] == {**LOOK, "button_sections": []}
        session = await client.post("/api/v1/widget/session", json={"site_key": SITE_KEY})
        assert session.status_code == 200
        assert {k: session.json()["site"]["widget"][k] for k in LOOK} == LOOK

        # Another company's admin cannot change it (the isolation matrix covers the route too).
        boss = await second_account(client)
        taken = await client.patch(path, json={"widget": {**LOOK, "color": "#000000"}}, headers=bearer(boss))
        assert taken.status_code in (403, 404)
        session = await client.post("/api/v1/widget/session", json={"site_key": SITE_KEY})
        assert session.json()["site"]["widget"]["color"] == LOOK["color"]
