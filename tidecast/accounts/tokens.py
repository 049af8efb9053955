"""Login tokens: HS256 JWTs (PyJWT) with the reference's claims and the checks a server owes them.

Claims: `userId` and `username` (the reference's), `sub` (the user id again, for standard
libraries), `iat`, `exp`, `iss`, `aud`, `jti`, and `sv`, the account's session version. Every
token must carry all of them. Only HS256 is accepted, whatever the header says, so `alg: none`
and algorithm-confusion tokens fail at the signature. Whether `sv` is still the account's
current version (no password change since the token was issued) needs the database; that
check lives in the accounts service, not here. Encoding and the checks every token gets (length,
algorithm, signature, audience, issuer, expiry, required claims) are the shared codec's
(tidecast/lib/hs256.py), the same as a playback token's.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from tidecast.errors import NotAuthenticated
from tidecast.lib.hs256 import ALGORITHM, HS256Codec

__all__ = ["ALGORITHM", "LEEWAY_SECONDS", "REQUIRED", "TokenIssuer", "bearer_token"]

REQUIRED = ["userId", "username", "sub", "iat", "exp", "iss", "aud", "jti", "sv"]
# Clock skew tolerated between function instances (and the client's idea of `exp`).
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class TokenIssuer:
    secret: str
    issuer: str
    audience: str
    ttl_seconds: int

    def issue(self, *, user_id: str, username: str, session_version: int, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "userId": user_id,
            "username": username,
            "sub": user_id,
            "iat": issued,
            "exp": issued + self.ttl_seconds,
            "iss": self.issuer,
            "aud": self.audience,
            "jti": secrets.token_urlsafe(12),
            "sv": session_version,
        }
        return self.codec.encode(claims)

    @cached_property
    def codec(self) -> HS256Codec:
        return HS256Codec(
            self.secret, audience=self.audience, issuer=self.issuer, require=REQUIRED, leeway=LEEWAY_SECONDS
        )

    def decode(self, token: str) -> dict[str, Any]:
        """The claims of a token this server issued and that has not expired, else 401 naming why."""
        claims = self.codec.decode(token)
        if not isinstance(claims["sub"], str) or claims["sub"] != claims["userId"]:
            raise NotAuthenticated("Token subject does not match its userId")
        if not isinstance(claims["sv"], int) or isinstance(claims["sv"], bool):
            raise NotAuthenticated("Token is malformed")
        return claims


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, None when there is none."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated("Authorization header must be 'Bearer <token>'")
    return value.strip()
