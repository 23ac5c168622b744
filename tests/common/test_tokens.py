"""Signed tokens and the signing secrets: only HS256 with our secret and every claim in place verifies;
public development secrets are refused; the embedded mode makes its own secrets once, kept private."""

import base64
import json
import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt
import pytest
from pydantic import ValidationError

from scripts.stack import Stack
from services.common.errors import Unauthorized
from services.common.secret_store import data_folder_secrets, secret_problem
from services.common.settings import Settings
from services.common.tokens import (
    Identity,
    access_session,
    access_token,
    identity_from_internal,
    identity_from_public_token,
    internal_token,
    visitor_token,
)

SECRET = "s" * 48 + "0123456789abcdef"  # 64 characters: long enough for HS512 too
OLD_DEV_SECRET = "dev-insecure-jwt-secret-for-local-use-only"  # what Floorwalker once shipped with: public


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"typ": "access", "sub": "user-1", "acc": "acc-1", "role": "admin", "iat": now, "exp": now + 600}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def forged_tokens(secret: str) -> dict[str, str]:
    """Tokens nobody may be let in with, each for its own reason (the gateway's secret is `secret`)."""
    good = claims()
    header = {"alg": "RS256", "typ": "JWT"}
    return {
        "alg none": jwt.encode(good, None, algorithm="none"),
        "alg none, upper case": f"{_b64({'alg': 'NONE', 'typ': 'JWT'})}.{_b64(good)}.",
        "RS256": f"{_b64(header)}.{_b64(good)}.{base64.urlsafe_b64encode(b'x' * 256).rstrip(b'=').decode()}",
        "HS512 with the right secret": jwt.encode(good, secret, algorithm="HS512"),
        "the old public development secret": jwt.encode(good, OLD_DEV_SECRET, algorithm="HS256"),
        "an unknown role": jwt.encode(claims(role="owner"), secret, algorithm="HS256"),
        "no account": jwt.encode(claims(acc=None), secret, algorithm="HS256"),
        "no subject": jwt.encode(claims(sub=None), secret, algorithm="HS256"),
        "no expiry": jwt.encode(claims(exp=None), secret, algorithm="HS256"),
        "no issued-at": jwt.encode(claims(iat=None), secret, algorithm="HS256"),
        "no type": jwt.encode(claims(typ=None), secret, algorithm="HS256"),
        "an internal token": jwt.encode(claims(typ="internal"), secret, algorithm="HS256"),
        "a visitor token without its site": jwt.encode(claims(typ="visitor", role=None), secret, algorithm="HS256"),
        "a number for an id": jwt.encode(claims(acc=12), secret, algorithm="HS256"),
        "expired": jwt.encode(claims(iat=1, exp=2), secret, algorithm="HS256"),
        "tampered": jwt.encode(claims(), secret, algorithm="HS256")[:-2] + "xx",
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("reason", sorted(forged_tokens(SECRET)))
def test_a_forged_or_malformed_public_token_is_refused(reason: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        identity_from_public_token(forged_tokens(SECRET)[reason], SECRET)
    assert refused.value.status_code == 401


def test_our_tokens_verify_and_carry_their_session() -> None:
    user = Identity(kind="user", account_id="acc-1", user_id="user-1", role="supervisor", name="Olga")
    token = access_token(user, SECRET, 60, session_id="family-1")
    identity, expires_at = identity_from_public_token(token, SECRET)
    assert identity == user and expires_at > time.time()
    assert access_session(token, SECRET) == "family-1"
    guest = Identity(kind="visitor", account_id="acc-1", site_id="site-1", visitor_id="v-1", consent=True)
    assert identity_from_public_token(visitor_token(guest, SECRET, 60), SECRET)[0] == guest


def test_a_token_verified_once_is_not_accepted_under_another_secret() -> None:
    token = access_token(Identity(kind="user", account_id="a", user_id="u", role="operator"), SECRET, 60)
    identity_from_public_token(token, SECRET)  # cached now
    with pytest.raises(Unauthorized):
        identity_from_public_token(token, "another-secret-of-at-least-32-characters")


def test_an_internal_identity_that_does_not_validate_is_refused() -> None:
    token = jwt.encode(claims(typ="internal", id={"kind": "robot", "account_id": "a"}), SECRET, algorithm="HS256")
    with pytest.raises(Unauthorized):
        identity_from_internal(token, SECRET)
    good = internal_token(Identity(kind="user", account_id="a", user_id="u", role="admin"), SECRET)
    assert identity_from_internal(good, SECRET).role == "admin"


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("secret", ["", OLD_DEV_SECRET, "short-secret"])
def test_nothing_is_signed_or_verified_with_an_empty_public_or_short_secret(secret: str) -> None:
    user = Identity(kind="user", account_id="a", user_id="u", role="admin")
    with pytest.raises(RuntimeError):
        access_token(user, secret, 60)
    with pytest.raises(Unauthorized):
        identity_from_public_token(jwt.encode(claims(), secret or "x", algorithm="HS256"), secret)


@pytest.mark.parametrize(
    "value",
    [
        OLD_DEV_SECRET,
        "dev-insecure-internal-secret-for-local-use-only",
        "stack-local-jwt-secret-0123456789abcdef",  # what `scripts/stack.py` used to set
        "replace-with-64-random-hex",
        "tiny-value",
    ],
)
@pytest.mark.parametrize("mode", ["embedded", "distributed"])
def test_settings_refuse_development_and_short_secrets_in_every_mode(mode: str, value: str, tmp_path: Path) -> None:
    for name in ("jwt_secret", "internal_secret"):
        with pytest.raises(ValidationError) as refused:
            Settings(fw_mode=mode, data_dir=tmp_path, **{name: value})
        assert name.upper() in str(refused.value) and value not in str(refused.value)


def test_the_embedded_mode_makes_its_secrets_once_in_the_data_folder_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    first = Settings(fw_mode="embedded", data_dir=tmp_path / "data")
    path = tmp_path / "data" / "secrets.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.jwt_secret) == 64 and first.jwt_secret != first.internal_secret
    again = Settings(fw_mode="embedded", data_dir=tmp_path / "data")
    assert (again.jwt_secret, again.internal_secret) == (first.jwt_secret, first.internal_secret)
    elsewhere = Settings(fw_mode="embedded", data_dir=tmp_path / "other")
    assert elsewhere.jwt_secret != first.jwt_secret
    assert first.jwt_secret not in repr(first) and first.internal_secret not in repr(first)

    given = "g" * 40
    mixed = Settings(fw_mode="embedded", data_dir=tmp_path / "data", jwt_secret=given)
    assert (mixed.jwt_secret, mixed.internal_secret) == (given, first.internal_secret)

    path.chmod(0o644)
    Settings(fw_mode="embedded", data_dir=tmp_path / "data")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_processes_starting_together_agree_on_one_pair_of_secrets(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: data_folder_secrets(tmp_path), range(16)))
    assert all(secrets == made[0] for secrets in made)
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.json"]  # nothing left aside


def test_the_distributed_mode_does_not_start_without_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JWT_SECRET", "INTERNAL_SECRET", "FW_ALLOW_DEV_SECRETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FW_ALLOW_DEV_SECRETS", "1")  # meaningless now
    unset = Settings(fw_mode="distributed", data_dir=tmp_path)
    with pytest.raises(RuntimeError, match="JWT_SECRET is not set"):
        unset.check_production_secrets()
    assert not os.listdir(tmp_path)  # no data-folder secrets when distributed
    Settings(fw_mode="distributed", jwt_secret="j" * 40, internal_secret="i" * 40).check_production_secrets()


def test_each_local_stack_makes_its_own_random_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """`scripts/stack.py` (`make up`, the stack tests, the benches) set fixed, public values before."""
    for name in ("JWT_SECRET", "INTERNAL_SECRET"):
        monkeypatch.delenv(name, raising=False)
    one, other = Stack(), Stack()
    envs = [one.env("gateway"), one.env("chat"), other.env("gateway")]
    for env in envs:
        assert secret_problem(env["JWT_SECRET"]) is None and secret_problem(env["INTERNAL_SECRET"]) is None
        assert env["JWT_SECRET"] != env["INTERNAL_SECRET"]
    assert envs[0]["JWT_SECRET"] == envs[1]["JWT_SECRET"]  # one stack's processes share them
    assert envs[0]["JWT_SECRET"] != envs[2]["JWT_SECRET"] and envs[0]["INTERNAL_SECRET"] != envs[2]["INTERNAL_SECRET"]
    monkeypatch.setenv("JWT_SECRET", "s" * 40)
    assert Stack().env("tracking")["JWT_SECRET"] == "s" * 40  # a value set in the environment is kept
