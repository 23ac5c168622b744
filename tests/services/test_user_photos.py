"""Operators' photos (EMB-3, EMB-9): uploaded by the operator or an admin, checked by content, served without a
token at an unguessable address with safe headers, shown in invitations (an operator's call and a rule's) and to
the widget's header; removed, the address is 404."""

import base64
import uuid
import zlib

import httpx

from services.common.settings import Settings
from tests.chat_client import login, next_frame, open_socket, visitor_session
from tests.services.test_invitations import bearer, floor, shopper


def png(colour: bytes = b"\x10\x80\xf0") -> bytes:
    """A real 1x1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = (1).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" + colour))
        + chunk(b"IEND", b"")
    )


PNG = png()


def upload(image: bytes) -> dict[str, str]:
    return {"image_base64": base64.b64encode(image).decode()}


async def test_an_operator_uploads_a_photo_served_without_a_token_with_safe_headers_and_removed_it_is_gone(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        olga = bearer((await login(place.client, "olga@demo.example"))["access_token"])
        for refused, status, code in (
            (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", 415, "unsupported_photo"),
            (b"%PDF-1.4\n%%EOF\n", 415, "unsupported_photo"),
            (PNG + bytes(600 * 1024), 413, "photo_too_large"),
        ):
            answer = await place.client.put("/api/v1/me/photo", json=upload(refused), headers=olga)
            assert answer.status_code == status, answer.text
            assert answer.json()["error"]["code"] == code
        garbled = await place.client.put("/api/v1/me/photo", json={"image_base64": "not base64!"}, headers=olga)
        assert garbled.status_code == 422 and garbled.json()["error"]["code"]
        anonymous = await place.client.put("/api/v1/me/photo", json=upload(PNG))
        assert anonymous.status_code == 401

        answer = await place.client.put("/api/v1/me/photo", json=upload(PNG), headers=olga)
        assert answer.status_code == 200, answer.text
        url = answer.json()["photo_url"]
        me = (await place.client.get("/api/v1/auth/me", headers=olga)).json()
        assert url.startswith("/photos/") and me["id"] not in url and me["photo_url"] == url

        async with httpx.AsyncClient(base_url=place.base) as stranger:  # a host page's <img>: no token, no origin
            served = await stranger.get(url)
            assert served.status_code == 200 and served.content == PNG
            assert served.headers["content-type"] == "image/png"
            assert served.headers["x-content-type-options"] == "nosniff"
            assert "default-src 'none'" in served.headers["content-security-policy"]
            assert "immutable" in served.headers["cache-control"]
            assert (await stranger.get("/photos/" + "x" * 32)).status_code == 404
            assert (await stranger.get("/photos/..%2Fetc")).status_code == 404

            again = await place.client.put("/api/v1/me/photo", json=upload(png(b"\xff\x00\x00")), headers=olga)
            assert again.json()["photo_url"] != url  # a new address: the old one is gone, nothing cached is wrong
            assert (await stranger.get(url)).status_code == 404
            removed = await place.client.delete("/api/v1/me/photo", headers=olga)
            assert removed.status_code == 204
            gone = await stranger.get(again.json()["photo_url"])
            assert gone.status_code == 404 and gone.json()["error"]["code"] == "photo_not_found"
        assert (await place.client.get("/api/v1/auth/me", headers=olga)).json()["photo_url"] is None


async def test_an_admin_sets_an_operators_photo_and_visitors_see_it_in_invitations_and_the_header(
    settings: Settings,
) -> None:
    async with floor(settings) as place:
        token, visitor_id = await shopper(place)
        admin = bearer((await login(place.client))["access_token"])
        olga = await login(place.client, "olga@demo.example")
        olga_id = olga["user"]["id"]
        as_olga = bearer(olga["access_token"])
        refused = await place.client.put(f"/api/v1/users/{olga_id}/photo", json=upload(PNG), headers=as_olga)
        assert refused.status_code == 403  # an operator sets only their own
        answer = await place.client.put(f"/api/v1/users/{olga_id}/photo", json=upload(PNG), headers=admin)
        assert answer.status_code == 200, answer.text
        url = answer.json()["photo_url"]
        shown = place.base + url  # what visitors get: on the gateway's public address
        members = (await place.client.get("/api/v1/users", headers=admin)).json()["users"]
        assert next(u for u in members if u["id"] == olga_id)["photo_url"] == url

        async with open_socket(place.base, "/ws/visitor", token) as tab:
            call = await place.client.post(
                f"/api/v1/visitors/{visitor_id}/invitations", json={"text": "Hi!"}, headers=as_olga
            )
            assert call.status_code == 201, call.text
            invitation = await next_frame(tab, "invitation")
            assert invitation["operator"] == {"id": olga_id, "name": olga["user"]["name"], "photo_url": shown}

            # a rule's invitation names its operator by id (as the rules service does): the gateway fills them in
            rule = {"type": "invitation", "invitation_id": str(uuid.uuid4()), "rule_id": "r1", "variant": None}
            rule |= {"text": "Shall we talk?", "auto_open": False, "delay_s": 0}
            await place.bus.publish(f"visitor:{visitor_id}", {**rule, "operator": {"id": olga_id}})
            relayed = await next_frame(tab, "invitation")
            assert relayed["operator"] == {"id": olga_id, "name": olga["user"]["name"], "photo_url": shown}
            stranger = {**rule, "invitation_id": str(uuid.uuid4()), "operator": {"id": str(uuid.uuid4())}}
            await place.bus.publish(f"visitor:{visitor_id}", stranger)
            assert (await next_frame(tab, "invitation"))["operator"] is None  # not of the account: no face

        # the widget's header asks who answers the visitor's conversation
        visitor = bearer(token)
        started = await place.client.post("/api/v1/conversations", json={"text": "Hello?"}, headers=visitor)
        assert started.status_code == 201, started.text
        header = f"/api/v1/widget/conversations/{started.json()['id']}/operator"
        assert (await place.client.get(header, headers=visitor)).json() == {"operator": None}  # nobody yet
        accepted = await place.client.post(f"/api/v1/conversations/{started.json()['id']}/accept", headers=as_olga)
        assert accepted.status_code == 200, accepted.text
        face = await place.client.get(header, headers=visitor)
        assert face.json() == {"operator": {"id": olga_id, "name": olga["user"]["name"], "photo_url": shown}}
        other = bearer((await visitor_session(place.client))["visitor_token"])
        assert (await place.client.get(header, headers=other)).status_code == 404  # another visitor's chat
        assert (await place.client.get(header, headers=admin)).status_code == 403  # visitors only

        assert (await place.client.delete(f"/api/v1/users/{olga_id}/photo", headers=admin)).status_code == 204
        face = await place.client.get(header, headers=visitor)
        assert face.json()["operator"]["photo_url"] is None
