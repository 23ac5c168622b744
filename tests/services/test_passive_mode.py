"""Passive mode (ENG-1): the widget session says on which pages the chat button shows (`button_paths`, regexes
of the path), from the queues' sections (section names of the site, or URL prefixes); a queue without sections,
or an account without queues and without the site's `widget.button_sections`: everywhere (null). The gateway
with chat and tracking in process, on both backends; the translation of the patterns without them."""

import re
from typing import Any

import pytest

from services.common.settings import Settings
from services.gateway import passive
from services.gateway.demo.seed import demo_tracking_settings
from services.gateway.passive import button_paths, pattern_regex
from tests.chat_client import login, visitor_session
from tests.helpers import eventually
from tests.services.gateway_harness import ADMIN_KEY, second_account
from tests.services.test_invitations import Floor, bearer, floor

IT = "Informática (IT)"


def shows(paths: list[str] | None, path: str) -> bool:
    """What the loader does with `button_paths` (`new RegExp(p).test(location.pathname)`)."""
    return paths is None or any(re.search(p, path) for p in paths)


def test_section_patterns_and_prefixes_become_regexes_of_the_path() -> None:
    assert pattern_regex("/demo/informatica/*") == r"^\/demo\/informatica\/.*\/?$"
    sections = {IT.casefold(): "/demo/informatica/*", "product": "/p/{sku}"}
    paths = button_paths([["informática (it)"], ["/ofertas", "Product", "Gone"]], sections)
    assert paths is not None and len(paths) == 3
    assert shows(paths, "/demo/informatica/laptop-pro-14")
    assert shows(paths, "/ofertas/black-friday") and shows(paths, "/p/123")
    assert not shows(paths, "/demo/tv/") and not shows(paths, "/p/1/2") and not shows(paths, "/x/ofertas")
    assert button_paths([["/a"], []], sections) is None  # a queue wants its button everywhere
    assert button_paths([], sections) is None
    assert button_paths([["Gone"]], sections) == []  # only sections the site does not have: nowhere
    assert shows([pattern_regex("/a.b(c)+[d]$/*")], "/a.b(c)+[d]$/x") and not shows([pattern_regex("/a.b/*")], "/aXb/x")


async def session_paths(place: Floor) -> list[str] | None:
    session: dict[str, Any] = await visitor_session(place.client)
    found: list[str] | None = session["button_paths"]
    return found


async def test_the_widget_session_says_where_the_button_shows_from_the_queues_or_the_site(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(passive, "CACHE_SECONDS", 0.0)
    settings.admin_api_key = ADMIN_KEY
    async with floor(settings) as place:
        admin = bearer((await login(place.client))["access_token"])
        site_id = (await place.client.get("/api/v1/sites", headers=admin)).json()["sites"][0]["id"]
        stored = await place.client.put(
            f"/api/v1/track/settings/{site_id}", json=demo_tracking_settings(), headers=admin
        )
        assert stored.status_code == 200, stored.text
        # Another account's queue, restricted to its own pages, changes nothing for the demo shop's visitors.
        other = bearer((await second_account(place.client))["access_token"])
        theirs = await place.client.post("/api/v1/queues", json={"name": "B", "sections": ["/b-only"]}, headers=other)
        assert theirs.status_code == 201, theirs.text
        assert await session_paths(place) is None  # no queues, nothing chosen: everywhere

        # No queues: the site's own choice.
        widget = {"button_sections": ["/demo/ofertas"]}
        changed = await place.client.patch(f"/api/v1/sites/{site_id}", json={"widget": widget}, headers=admin)
        assert changed.status_code == 200, changed.text
        assert changed.json()["widget"]["button_sections"] == ["/demo/ofertas"]
        assert await session_paths(place) == [r"^\/demo\/ofertas"]

        # With queues, theirs: a section by name and a prefix.
        body = {"name": "IT desk", "sections": [IT, "/demo/search"]}
        made = await place.client.post("/api/v1/queues", json=body, headers=admin)
        assert made.status_code == 201, made.text
        paths = await session_paths(place)
        assert paths is not None
        assert shows(paths, "/demo/informatica/laptop-pro-14") and shows(paths, "/demo/search")
        assert not shows(paths, "/demo/tv/") and not shows(paths, "/demo/ofertas") and not shows(paths, "/")

        # A queue that wants its button everywhere.
        other = await place.client.post("/api/v1/queues", json={"name": "Sales"}, headers=admin)
        assert other.status_code == 201, other.text
        assert await session_paths(place) is None


async def test_a_section_renamed_in_the_tracking_settings_no_longer_shows_the_button(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(passive, "CACHE_SECONDS", 0.0)
    async with floor(settings) as place:
        admin = bearer((await login(place.client))["access_token"])
        site_id = (await place.client.get("/api/v1/sites", headers=admin)).json()["sites"][0]["id"]
        made = await place.client.post("/api/v1/queues", json={"name": "IT desk", "sections": [IT]}, headers=admin)
        assert made.status_code == 201, made.text
        url = f"/api/v1/track/settings/{site_id}"
        assert (await place.client.put(url, json=demo_tracking_settings(), headers=admin)).status_code == 200

        async def in_it() -> bool:
            return shows(await session_paths(place), "/demo/informatica/x")

        assert await eventually(in_it)  # tracking's settings are cached briefly
        renamed = demo_tracking_settings()
        renamed["sections"] = [{"name": "Computers", "pattern": "/demo/informatica/*"}]
        assert (await place.client.put(url, json=renamed, headers=admin)).status_code == 200

        async def nowhere() -> bool:
            return await session_paths(place) == []

        assert await eventually(nowhere)
