"""The one validation layer: JSON nesting read without parsing, strings no store can keep, the input guard."""

import json
import random
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from services.common.errors import BadRequest, InvalidInput, install_error_handlers
from services.common.validation import (
    MAX_BODY_BYTES,
    InputGuard,
    check_json_bytes,
    check_json_value,
    json_depth,
    load_json,
)


def depth_of(value: Any) -> int:
    if isinstance(value, dict | list):
        children = value.values() if isinstance(value, dict) else value
        return 1 + max((depth_of(child) for child in children), default=0)
    return 0


def random_document(rng: random.Random, level: int = 0) -> Any:
    """Nested arrays and objects whose strings are full of brackets, quotes and backslashes."""
    roll = rng.random()
    if level > 8 or roll < 0.3:
        return rng.choice(['a"[\\', "{}[]", "\\\\", 'x\\"]]', 1, None, '"', '\\"[', "é", "]}]}"])
    if roll < 0.65:
        return [random_document(rng, level + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["k[", "{k", '\\"k', "k", "]"]): random_document(rng, level + 1) for _ in range(3)}


def test_the_depth_read_without_parsing_is_the_documents_depth() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        document = random_document(rng)
        for ascii_only in (True, False):
            text = json.dumps(document, ensure_ascii=ascii_only).encode()
            assert json_depth(text) == depth_of(document), text


def test_a_text_too_deep_for_the_parser_is_refused_without_parsing_it() -> None:
    for text in (b"[" * 30_000, b'{"a":' * 30_000, b"[" * 33 + b"]" * 33, b'["\\\\",' + b"[" * 40):
        with pytest.raises(InvalidInput) as refused:
            check_json_bytes(text)
        assert refused.value.code == "json_too_deep" and refused.value.status_code == 422
    check_json_bytes(b"[" * 32 + b"]" * 32)  # the limit itself is fine
    check_json_bytes(b'["' + b"[" * 1000 + b'"]')  # brackets in a string are text
    check_json_bytes(b'["' + b'\\"' * 5000 + b"[" * 40)  # ... in an unterminated one too: the parser refuses it
    check_json_bytes(b"{not json")  # the parser says what is wrong with that


@pytest.mark.parametrize(
    "text",
    [
        b'{"text": "a\\u0000b"}',
        b'{"text": "lone \\ud800"}',
        b'{"text": "lone low \\udc00 first"}',
        b'{"te\\u0000xt": "key"}',
        b'["\\ud83d"]',
        '{"text": "raw \ud800"}'.encode("utf-8", "surrogatepass"),
    ],
)
def test_nul_and_lone_surrogates_in_any_string_are_refused(text: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_json_bytes(text)
    assert refused.value.code == "invalid_characters"


@pytest.mark.parametrize("text", [b'{"text": "\\ud83d\\ude00"}', b'{"text": "\\\\u0000"}', '{"t": "😀 ü"}'.encode()])
def test_pairs_escaped_backslashes_and_plain_unicode_pass(text: bytes) -> None:
    check_json_bytes(text)


def test_a_socket_frame_gets_the_same_rules() -> None:
    assert load_json('{"type": "ping"}') == {"type": "ping"}
    with pytest.raises(BadRequest):
        load_json("{nope")
    with pytest.raises(InvalidInput):
        load_json("[" * 30_000)
    with pytest.raises(InvalidInput):
        load_json('{"type": "message.send", "text": "\\ud800"}')
    with pytest.raises(InvalidInput):
        check_json_value({"text": "x\x00"})
    deep: list[Any] = []
    for _ in range(40):
        deep = [deep]
    with pytest.raises(InvalidInput):
        check_json_value({"a": deep})
    check_json_value({"type": "message.send", "text": "olá 😀", "n": [1, [2, {"k": None}]]})


def guarded_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(InputGuard)

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        body = await request.body()
        return {"length": len(body), "query": dict(request.query_params)}

    @app.get("/echo")
    async def read(request: Request) -> dict[str, Any]:
        return {"query": dict(request.query_params)}

    return app


async def test_the_input_guard_answers_before_the_route_and_hands_good_bodies_on_unchanged() -> None:
    transport = httpx.ASGITransport(app=guarded_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        body = json.dumps({"events": [{"type": "pageview", "title": "[{" * 50}] * 100}).encode()
        fine = await client.post("/echo", content=body, headers={"content-type": "text/plain"})
        assert fine.status_code == 200 and fine.json()["length"] == len(body)
        deep = await client.post("/echo", content=b"[" * 30_000)
        assert deep.status_code == 422 and deep.json()["error"]["code"] == "json_too_deep"
        nul = await client.post("/echo", content=b'{"a": "\\u0000"}')
        assert nul.status_code == 422 and nul.json()["error"]["code"] == "invalid_characters"
        huge = await client.post("/echo", content=b" " * (MAX_BODY_BYTES + 1))
        assert huge.status_code == 413 and huge.json()["error"]["code"] == "body_too_large"
        query = await client.get("/echo", params={"visitor_id": "a\x00b"})
        assert query.status_code == 422 and query.json()["error"]["code"] == "invalid_characters"
        plain = await client.get("/echo", params={"q": "a b"})
        assert plain.status_code == 200 and plain.json() == {"query": {"q": "a b"}}
