"""HS256 JSON Web Tokens (PyJWT), decoded with every check a server owes them: the one codec
behind login tokens (tidecast/accounts/tokens.py) and playback tokens
(tidecast/payments/playback_tokens.py), so the two kinds cannot drift apart again (one had the
length guard, the other named the algorithm error).

- A token longer than `max_length` is refused before it is parsed (ours are a few hundred
  characters; nobody gets to make the server base64-decode megabytes of header).
- Only HS256 is accepted, whatever the header says, so `alg: none` and algorithm-confusion tokens
  fail, and say so.
- `require`: claims that must be present and not null (PyJWT's own check); `present`: claims
  that must be present but may be null (a playback token's `pay` for a free play).
- Every PyJWT failure becomes one 401 (NotAuthenticated) whose message names the kind of token
  (`label`) and what is wrong; nothing else escapes.

PyJWT is imported on first use: it loads `cryptography` for its RSA/EC algorithms, ~130-240 ms
that every function's cold start would otherwise pay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tidecast.errors import NotAuthenticated

ALGORITHM = "HS256"
#: Far above any token tidecast issues (~300-400 characters).
MAX_TOKEN_LENGTH = 2048


@dataclass(frozen=True)
class HS256Codec:
    key: str | bytes = field(repr=False)
    audience: str
    require: Sequence[str]
    leeway: int
    #: How a message names the token: "Token", "Playback token".
    label: str = "Token"
    issuer: str | None = None
    present: Sequence[str] = ()
    #: Said after "has expired" (what the holder should do).
    expired_hint: str = ""
    max_length: int = MAX_TOKEN_LENGTH

    def encode(self, claims: dict[str, Any]) -> str:
        import jwt  # lazy: PyJWT + cryptography (~300 ms) only when a token is made

        return jwt.encode(claims, self.key, algorithm=ALGORITHM)

    def decode(self, token: str) -> dict[str, Any]:
        """The claims of a token signed with this key, for this audience (and issuer), not
        expired, carrying every required claim; else NotAuthenticated naming why."""
        import jwt  # lazy: PyJWT + cryptography (~300 ms) only when a token is read

        label = self.label
        if not isinstance(token, str) or len(token) > self.max_length:
            raise NotAuthenticated(f"{label} is malformed")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(self.require), "verify_iat": True},
            )
        except jwt.ExpiredSignatureError:
            raise NotAuthenticated(f"{label} has expired{self.expired_hint}") from None
        except jwt.ImmatureSignatureError:
            raise NotAuthenticated(f"{label} is not valid yet (iat in the future)") from None
        except jwt.InvalidAudienceError:
            raise NotAuthenticated(f"{label} is not for this audience") from None
        except jwt.InvalidIssuerError:
            raise NotAuthenticated(f"{label} has the wrong issuer") from None
        except jwt.MissingRequiredClaimError as exc:
            raise NotAuthenticated(f"{label} is missing the '{exc.claim}' claim") from None
        except jwt.InvalidAlgorithmError:
            raise NotAuthenticated(f"{label} must be signed with {ALGORITHM}") from None
        except jwt.InvalidSignatureError:
            raise NotAuthenticated(f"{label} signature is not valid") from None
        except jwt.PyJWTError:
            raise NotAuthenticated(f"{label} is malformed") from None
        missing = [c for c in self.present if c not in claims]
        if missing:
            raise NotAuthenticated(f"{label} is missing the '{missing[0]}' claim")
        return claims
