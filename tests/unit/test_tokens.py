"""Login tokens against the usual JWT attacks: each one is a 401 that names the problem."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from tidecast.accounts.tokens import TokenIssuer, bearer_token
from tidecast.errors import NotAuthenticated

SECRET = "s" * 64
ISSUER = TokenIssuer(secret=SECRET, issuer="tidecast", audience="tidecast-api", ttl_seconds=3600)


def claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    base: dict[str, object] = {
        "userId": "u1",
        "username": "ann",
        "sub": "u1",
        "iat": now,
        "exp": now + 3600,
        "iss": "tidecast",
        "aud": "tidecast-api",
        "jti": "j1",
        "sv": 0,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_round_trip_carries_every_claim() -> None:
    token = ISSUER.issue(user_id="u1", username="ann", session_version=3)
    got = ISSUER.decode(token)
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert got["userId"] == got["sub"] == "u1" and got["username"] == "ann" and got["sv"] == 3
    assert got["exp"] - got["iat"] == 3600 and got["iss"] == "tidecast" and got["aud"] == "tidecast-api"
    assert len(got["jti"]) >= 16
    assert ISSUER.decode(ISSUER.issue(user_id="u1", username="ann", session_version=3))["jti"] != got["jti"]


def forged_none() -> str:
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims())}."


def tampered() -> str:
    header, _payload, signature = jwt.encode(claims(), SECRET, algorithm="HS256").split(".")
    return f"{header}.{b64(claims(userId='admin', sub='admin'))}.{signature}"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: jwt.encode(claims(exp=int(time.time()) - 120), SECRET, algorithm="HS256"), "expired"),
        (tampered, "signature"),
        (lambda: jwt.encode(claims(), "w" * 48, algorithm="HS256"), "signature"),
        (forged_none, "HS256"),
        (lambda: jwt.encode(claims(), SECRET, algorithm="HS512"), "HS256"),
        (lambda: jwt.encode(claims(iss="someone-else"), SECRET, algorithm="HS256"), "issuer"),
        (lambda: jwt.encode(claims(aud="another-api"), SECRET, algorithm="HS256"), "audience"),
        (lambda: jwt.encode(claims(jti=None), SECRET, algorithm="HS256"), "'jti'"),
        (lambda: jwt.encode(claims(sv=None), SECRET, algorithm="HS256"), "'sv'"),
        (lambda: jwt.encode(claims(sub="u2"), SECRET, algorithm="HS256"), "subject"),
        (lambda: jwt.encode(claims(sv="0"), SECRET, algorithm="HS256"), "malformed"),
        (lambda: jwt.encode(claims(iat=int(time.time()) + 3600), SECRET, algorithm="HS256"), "iat"),
        (lambda: "not.a.jwt", "malformed"),
        (lambda: "x" * 5000, "malformed"),
    ],
)
def test_attacks_are_refused(make, reason: str) -> None:
    with pytest.raises(NotAuthenticated) as caught:
        ISSUER.decode(make())
    assert reason.lower() in caught.value.message.lower(), caught.value.message


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("", None), ("Bearer abc", "abc"), ("bearer  abc ", "abc")],
)
def test_bearer_header(header: str | None, expected: str | None) -> None:
    assert bearer_token(header) == expected


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "abc"])
def test_other_authorization_schemes_are_401(header: str) -> None:
    with pytest.raises(NotAuthenticated, match="Bearer"):
        bearer_token(header)
