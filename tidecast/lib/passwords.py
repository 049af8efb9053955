"""Passwords: the rules a new one must meet, bcrypt hashing, and constant-shape checking.

bcrypt reads at most 72 bytes and bcrypt 5 refuses longer input rather than truncating it
silently; tidecast refuses it too, with a message, instead of pre-hashing (a pre-hash scheme
would be ours to keep compatible forever, and 72 bytes is a long passphrase).

`check` always spends one bcrypt comparison, against a dummy hash of the configured cost when
there is no account, so an unknown name and a wrong password take the same time.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from importlib import resources

import bcrypt

from tidecast.errors import InvalidInput

MIN_LENGTH = 10
MAX_BYTES = 72  # bcrypt's input limit
MIN_DISTINCT = 4
# A common password with digits or symbols stuck on either end is still a common password.
_DECORATION = re.compile(r"^[\d\W_]+|[\d\W_]+$")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list (tidecast/data/common-passwords.txt), lower-case; read once per process."""
    text = resources.files("tidecast").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def problem(password: str, *, username: str = "", email: str = "") -> str | None:
    """Why `password` may not be used for a new account or reset, or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"password must be at least {MIN_LENGTH} characters"
    if len(password.encode("utf-8")) > MAX_BYTES:
        return f"password must be at most {MAX_BYTES} bytes in UTF-8 (bcrypt's limit)"
    if len(set(password)) < MIN_DISTINCT:
        return f"password must use at least {MIN_DISTINCT} different characters"
    lowered = password.lower()
    stripped = _DECORATION.sub("", lowered)
    common = common_passwords()
    if lowered in common or (len(stripped) >= 4 and stripped in common):
        return "password is too common (it is on the list of the most used passwords)"
    local_part = email.partition("@")[0].lower()
    for own in (username.lower(), local_part):
        # From 4 characters: "ann" is inside too many good passphrases ("channel ...").
        if len(own) >= 4 and own in lowered:
            return "password must not contain the username or the email address"
    return None


def require_acceptable(password: str, *, username: str = "", email: str = "") -> None:
    reason = problem(password, username=username, email=email)
    if reason is not None:
        raise InvalidInput(reason)


class PasswordHasher:
    """bcrypt at a fixed cost; `check` spends the same work whether or not a hash exists."""

    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        self._dummy: bytes | None = None
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(self.rounds)).decode("ascii")

    def check(self, password: str, stored: str | None) -> bool:
        """True when `password` matches `stored`; with no stored hash (unknown account), or a
        password bcrypt cannot take, a comparison against the dummy hash keeps the time equal."""
        raw = password.encode("utf-8")
        usable = stored is not None and len(raw) <= MAX_BYTES
        try:
            matched = bcrypt.checkpw(
                raw if len(raw) <= MAX_BYTES else raw[:MAX_BYTES],
                stored.encode("ascii") if usable and stored else self._dummy_hash(),
            )
        except ValueError:  # a corrupt stored hash: never a match
            return False
        return matched and usable

    def needs_rehash(self, stored: str) -> bool:
        """A hash made at another cost (the setting changed): rehash it at the next login."""
        return not stored.startswith(f"$2b${self.rounds:02d}$")

    def _dummy_hash(self) -> bytes:
        if self._dummy is None:
            with self._lock:
                if self._dummy is None:
                    self._dummy = bcrypt.hashpw(b"tidecast-dummy-password", bcrypt.gensalt(self.rounds))
        return self._dummy
