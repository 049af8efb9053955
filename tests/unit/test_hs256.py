"""Login and playback tokens share one HS256 codec (tidecast/lib/hs256.py), so each kind has
the checks the other had: before, only the playback token refused an over-long token before
parsing it, and only the login token said which algorithm it wants or that `iat` is in the
future (a playback token called both "malformed")."""

from __future__ import annotations

import hashlib
import hmac
import time

import jwt
import pytest

from tidecast.accounts.tokens import TokenIssuer
from tidecast.errors import NotAuthenticated
from tidecast.lib.hs256 import MAX_TOKEN_LENGTH, HS256Codec
from tidecast.payments.playback_tokens import AUDIENCE, PlaybackTokens

SECRET = "s" * 64
LOGIN = TokenIssuer(secret=SECRET, issuer="tidecast", audience="tidecast-api", ttl_seconds=3600)
PLAYBACK_KEY = hmac.new(SECRET.encode(), b"playback", hashlib.sha256).digest()


def login_claims(**extra: object) -> dict[str, object]:
    now = int(time.time())
    return {"userId": "u1", "username": "ann", "sub": "u1", "iat": now, "exp": now + 3600,
            "iss": "tidecast", "aud": "tidecast-api", "jti": "j1", "sv": 0, **extra}  # fmt: skip


def playback_claims(**extra: object) -> dict[str, object]:
    now = int(time.time())
    return {"sub": "u1", "str": "s1", "pay": None, "cid": 1, "dep": None, "sv": 0, "iat": now,
            "exp": now + 60, "aud": AUDIENCE, "jti": "j1", **extra}  # fmt: skip


def test_an_over_long_login_token_is_refused_before_parsing_even_when_signed() -> None:
    token = jwt.encode(login_claims(pad="x" * MAX_TOKEN_LENGTH), SECRET, algorithm="HS256")
    assert LOGIN.decode(jwt.encode(login_claims(), SECRET, algorithm="HS256"))["userId"] == "u1"
    with pytest.raises(NotAuthenticated, match=r"^Token is malformed$"):
        LOGIN.decode(token)


def test_an_over_long_playback_token_is_refused_too() -> None:
    token = jwt.encode(playback_claims(pad="x" * MAX_TOKEN_LENGTH), PLAYBACK_KEY, algorithm="HS256")
    with pytest.raises(NotAuthenticated, match=r"^Playback token is malformed$"):
        PlaybackTokens(SECRET).decode(token)


@pytest.mark.parametrize("algorithm", ["HS512", "HS384"])
def test_a_playback_token_of_another_algorithm_says_which_one_is_wanted(algorithm: str) -> None:
    token = jwt.encode(playback_claims(), PLAYBACK_KEY, algorithm=algorithm)
    with pytest.raises(NotAuthenticated, match=r"^Playback token must be signed with HS256$"):
        PlaybackTokens(SECRET).decode(token)
    login = jwt.encode(login_claims(), SECRET, algorithm=algorithm)
    with pytest.raises(NotAuthenticated, match=r"^Token must be signed with HS256$"):
        LOGIN.decode(login)


def test_a_playback_token_issued_in_the_future_says_so() -> None:
    token = jwt.encode(playback_claims(iat=int(time.time()) + 3600), PLAYBACK_KEY, algorithm="HS256")
    with pytest.raises(NotAuthenticated, match="not valid yet"):
        PlaybackTokens(SECRET).decode(token)


def test_present_claims_may_be_null_but_not_absent() -> None:
    codec = HS256Codec(b"k" * 32, audience="a", require=["exp"], present=["pay"], leeway=0, label="T")
    good = codec.encode({"exp": int(time.time()) + 60, "aud": "a", "pay": None})
    assert codec.decode(good)["pay"] is None
    with pytest.raises(NotAuthenticated, match=r"^T is missing the 'pay' claim$"):
        codec.decode(codec.encode({"exp": int(time.time()) + 60, "aud": "a"}))
    with pytest.raises(NotAuthenticated, match=r"^T is malformed$"):
        codec.decode(None)  # type: ignore[arg-type]
