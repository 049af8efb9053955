"""Password rules, and bcrypt checking that costs the same for unknown accounts."""

from __future__ import annotations

import time

import bcrypt
import pytest

from tidecast.errors import BadRequest
from tidecast.services import passwords
from tidecast.services.passwords import PasswordHasher


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
    with pytest.raises(BadRequest, match=problem):
        passwords.require_acceptable(password, username="ann_the_great", email="annie.e@example.com")


@pytest.mark.parametrize(
    "password",
    ["correct horse battery", "Tr0ub4dor&3-staple", "日本語のパスワードです"],  # the last: 11 chars, 33 bytes
)
def test_good_passwords_pass(password: str) -> None:
    assert passwords.problem(password, username="ann", email="ann@example.com") is None


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


def test_unknown_account_spends_a_comparison_at_the_configured_cost() -> None:
    hasher = PasswordHasher(rounds=10)
    stored = hasher.hash("correct horse battery")
    hasher.check("warm up", None)  # the dummy hash is made once

    def timed(stored_hash: str | None) -> float:
        start = time.perf_counter()
        hasher.check("wrong password!", stored_hash)
        return time.perf_counter() - start

    one_hash = min(timed(stored) for _ in range(3))
    unknown = min(timed(None) for _ in range(3))
    # Work, not speed: the unknown path must not skip bcrypt (that would be ~1000x faster).
    assert unknown > one_hash / 3, (unknown, one_hash)
    assert hasher._dummy is not None and hasher._dummy.startswith(b"$2b$10$")


def test_rehash_when_the_cost_changes() -> None:
    old = PasswordHasher(rounds=4).hash("correct horse battery")
    assert PasswordHasher(rounds=5).needs_rehash(old)
    assert not PasswordHasher(rounds=4).needs_rehash(old)
    assert bcrypt.checkpw(b"correct horse battery", old.encode())
