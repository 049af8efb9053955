"""Password rules, and bcrypt checking that costs the same for unknown accounts."""

from __future__ import annotations

import bcrypt
import pytest

from tidecast.errors import InvalidInput
from tidecast.lib import passwords
from tidecast.lib.passwords import PasswordHasher


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("", "at least 10 characters"),
        ("short-1A", "at least 10 characters"),
        ("é" * 37, "at most 72 bytes"),  # 37 characters, 74 bytes
        ("x" * 10_000, "at most 72 bytes"),
        ("aaaaabbbbb", "4 different characters"),
        ("1234567890", "too common"),
        ("qwertyuiop", "too common"),
        ("Password2024!", "too common"),  # a list entry with decoration on the end
        ("!!Football99", "too common"),
        ("ann_the_great_1", "username"),
        ("my-ANNIE.E-pass", "email"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        passwords.require_acceptable(password, username="ann_the_great", email="annie.e@example.com")


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "Tr0ub4dor&3-staple", "日本語のパスワードです"],  # the last: 11 chars, 33 bytes
)
def test_good_passwords_pass(password: str) -> None:
    assert passwords.problem(password, username="ann", email="ann@example.com") is None


def test_a_short_username_inside_a_passphrase_is_fine() -> None:
    assert passwords.problem("channel surfing at night", username="ann", email="ann@example.com") is None
    assert "username" in str(passwords.problem("xx-anna_b-yy-zz", username="anna_b"))


def test_the_bundled_list_is_the_real_one() -> None:
    common = passwords.common_passwords()
    assert len(common) > 29_000
    assert {"password", "123456", "iloveyou", "trustno1"} <= common


def test_hash_and_check() -> None:
    hasher = PasswordHasher(rounds=4)
    stored = hasher.hash("correct horse battery")
    assert stored.startswith("$2b$04$")
    assert hasher.check("correct horse battery", stored)
    assert not hasher.check("correct horse batterz", stored)
    assert not hasher.check("correct horse battery", None)  # unknown account
    assert not hasher.check("x" * 500, stored)  # over bcrypt's limit: no match, no error
    assert not hasher.check("correct horse battery", "not a bcrypt hash")


def test_a_prefix_past_72_bytes_does_not_match() -> None:
    hasher = PasswordHasher(rounds=4)
    exact = "p" * 71 + "q"
    stored = hasher.hash(exact)
    assert hasher.check(exact, stored)
    assert not hasher.check(exact + "trailing", stored)  # bcrypt alone would accept this


def test_unknown_account_spends_a_comparison_at_the_configured_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every check runs exactly one real bcrypt comparison at the configured cost, whether the
    account exists or not (a spy around the real `checkpw`; its time is bench/auth.py's)."""
    hasher = PasswordHasher(rounds=5)
    stored = hasher.hash("correct horse battery")
    seen: list[bytes] = []
    real = bcrypt.checkpw

    def spy(password: bytes, hashed: bytes) -> bool:
        seen.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", spy)
    assert not hasher.check("wrong password!", stored)
    assert not hasher.check("wrong password!", None)
    assert not hasher.check("x" * 500, stored)
    assert len(seen) == 3 and all(h.startswith(b"$2b$05$") for h in seen)
    assert seen[0] == stored.encode() and seen[1] == seen[2] != seen[0]  # the dummy, made once


def test_rehash_when_the_cost_changes() -> None:
    old = PasswordHasher(rounds=4).hash("correct horse battery")
    assert PasswordHasher(rounds=5).needs_rehash(old)
    assert not PasswordHasher(rounds=4).needs_rehash(old)
    assert bcrypt.checkpw(b"correct horse battery", old.encode())
