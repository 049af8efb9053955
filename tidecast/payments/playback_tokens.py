"""Playback tokens: short HS256 JWTs that let a player fetch one stream's keys.

A separate kind of token from the login token, so that neither can stand in for the other:
- signed with HMAC-SHA256(JWT_SECRET, "playback"), not with JWT_SECRET itself: a login token's
  signature does not verify as a playback token's, and the reverse;
- `aud` is "tidecast-playback" (a login token's is TIDECAST_JWT_AUDIENCE), checked too, so the
  separation holds even if one day the keys were shared.
Claims: `sub` the viewer's user id, `str` the media stream, `pay` the payment stream id (a
decimal string) or null, `cid` the chain id, `dep` the deployment of the payment contract the
payment stream was read from (`ChainDeployment.key`; null for a free play): stream ids start at
1 on every deployment, so a token issued before a node reset names nothing after it; `sv` the
account's session version (as in a login token: a password change revokes the playback tokens
too, checked at every key), `iat`, `exp`, `jti`. The lifetime is about two key periods (clamped
to [10, 600] s): a token outlives a stopped payment by at most that, and the key check re-reads
the chain on every key anyway, so the token is a binding, not a licence. Encoding and the checks
every token gets (length, algorithm, signature, audience, expiry, required claims) are the
shared codec's (tidecast/lib/hs256.py), the same as a login token's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from tidecast.errors import NotAuthenticated
from tidecast.lib.hs256 import HS256Codec

AUDIENCE = "tidecast-playback"
REQUIRED = ["sub", "str", "pay", "cid", "dep", "sv", "iat", "exp", "aud", "jti"]
MIN_TTL = 10.0
MAX_TTL = 600.0
#: Clock skew tolerated between function instances; small, as the tokens are short.
LEEWAY_SECONDS = 5


@dataclass(frozen=True)
class PlaybackClaims:
    user_id: str
    stream_id: str
    payment_stream_id: str | None
    chain_id: int
    session_version: int
    expires_at: int
    deployment: str | None = None


def lifetime(key_period_seconds: float | None) -> float:
    """max(2 key periods, 10 s), at most 600 s; 10 s for a stream without key periods."""
    periods = 2 * key_period_seconds if key_period_seconds else 0.0
    return min(MAX_TTL, max(MIN_TTL, periods))


class PlaybackTokens:
    def __init__(self, jwt_secret: str) -> None:
        # Derived, so the login key never signs a playback token (nor the reverse).
        key = hmac.new(jwt_secret.encode(), b"playback", hashlib.sha256).digest()
        self._codec = HS256Codec(
            key,
            audience=AUDIENCE,
            # PyJWT's `require` refuses null values; `pay` and `dep` are null for a free play.
            require=["exp", "iat", "aud", "sub", "jti"],
            present=REQUIRED,
            leeway=LEEWAY_SECONDS,
            label="Playback token",
            expired_hint="; ask for a new one",
        )

    def issue(
        self,
        *,
        user_id: str,
        stream_id: str,
        payment_stream_id: str | None,
        chain_id: int,
        session_version: int,
        ttl: float,
        deployment: str | None = None,
        now: float | None = None,
    ) -> tuple[str, int]:
        """The token and its expiry (Unix seconds)."""
        issued = int(now if now is not None else time.time())
        expires = issued + int(ttl)
        claims = {
            "sub": user_id,
            "str": stream_id,
            "pay": payment_stream_id,
            "cid": chain_id,
            "dep": deployment,
            "sv": session_version,
            "iat": issued,
            "exp": expires,
            "aud": AUDIENCE,
            "jti": secrets.token_urlsafe(12),
        }
        return self._codec.encode(claims), expires

    def decode(self, token: str) -> PlaybackClaims:
        """The claims of a playback token this server issued and that has not expired, else 401."""
        claims = self._codec.decode(token)
        pay, cid, sv, dep = claims["pay"], claims["cid"], claims["sv"], claims["dep"]
        if (
            not isinstance(claims["sub"], str)
            or not isinstance(claims["str"], str)
            or not (pay is None or isinstance(pay, str))
            or not (dep is None or isinstance(dep, str))
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in (cid, sv))
        ):
            raise NotAuthenticated("Playback token is malformed")
        return PlaybackClaims(claims["sub"], claims["str"], pay, cid, sv, int(claims["exp"]), dep)
