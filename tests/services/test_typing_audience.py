"""The gateway sends a sender's typing frames itself once chat told it their audience (CHAT-4): a change of who is in
the conversation reaches the next frame at once, over real sockets (SQLite + memory bus and PostgreSQL + Redis)."""

from services.common.settings import Settings
from tests.chat_client import login, next_frame, open_socket, visitor_session
from tests.services.test_typing_and_read_marks import accepted_chat, bearer, frames_within, gateway, joined, send


async def test_a_transfer_moves_the_drafts_and_a_close_stops_them_from_the_next_update_on(settings: Settings) -> None:
    settings.ws_typing_per_10s = 50
    async with gateway(settings) as (base, client):
        olga, ivan = await login(client, "olga@demo.example"), await login(client, "ivan@demo.example")
        guest = await visitor_session(client)
        async with (
            open_socket(base, "/ws/operator", olga["access_token"]) as olga_ws,
            open_socket(base, "/ws/operator", ivan["access_token"]) as ivan_ws,
            open_socket(base, "/ws/visitor", guest["visitor_token"]) as v_ws,
        ):
            await joined(olga_ws, ivan_ws, v_ws)
            cid = await accepted_chat(client, guest, olga)
            drafts = ["Do", "Do you", "Do you ship", "Do you ship to Porto"]
            for draft in drafts:  # a visitor typing: the first goes through chat, the others the gateway sends
                await send(v_ws, type="typing", conversation_id=cid, draft=draft)
            assert [(await next_frame(olga_ws, "conversation.typing"))["draft"] for _ in drafts] == drafts
            assert await frames_within(ivan_ws, "conversation.typing", 0.2) == []

            online = await client.put(
                "/api/v1/me/presence", json={"status": "online"}, headers=bearer(ivan["access_token"])
            )
            assert online.status_code == 200, online.text
            moved = await client.post(
                f"/api/v1/conversations/{cid}/transfer",
                json={"to_operator_id": ivan["user"]["id"]},
                headers=bearer(olga["access_token"]),
            )
            assert moved.status_code == 200, moved.text
            await send(v_ws, type="typing", conversation_id=cid, draft="Do you ship to Porto by Friday")
            seen = await next_frame(ivan_ws, "conversation.typing")
            assert seen["draft"] == "Do you ship to Porto by Friday" and seen["visitor_id"] == guest["visitor_id"]
            assert await frames_within(olga_ws, "conversation.typing", 0.3) == []  # no longer hers: not a letter

            closed = await client.post(f"/api/v1/conversations/{cid}/close", headers=bearer(ivan["access_token"]))
            assert closed.status_code == 200, closed.text
            await send(v_ws, type="typing", conversation_id=cid, draft="hello?")
            assert (await next_frame(v_ws, "error"))["code"] == "conversation_not_found"
            assert await frames_within(ivan_ws, "conversation.typing", 0.3) == []
