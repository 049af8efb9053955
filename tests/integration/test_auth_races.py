"""Requests that race for the same thing: exactly one wins, the others get a clean 4xx, never a
500. Threads stand in for function instances sharing one database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select

from tests.support.auth import KEY, Reply, call, deliver, link_token, login, nonce, register, sign
from tidecast.container import Services
from tidecast.db.schema import events, users

THREADS = 6


def race(action: Callable[[int], Reply]) -> Counter[int]:
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    failures: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(action(i).status)
        except BaseException as exc:  # surfaced below, with the thread's error
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return Counter(statuses)


def test_one_registration_wins_a_username(svc: Services, engine: Engine) -> None:
    outcome = race(lambda i: register("ann", f"ann{i}@example.com"))
    assert outcome == Counter({202: 1, 409: THREADS - 1}), outcome
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar_one() == 1


def test_one_registration_wins_an_address(svc: Services, engine: Engine) -> None:
    """Every racer is answered as if the address were new; one account is made, and each of
    the others becomes a notice to the address's owner."""
    outcome = race(lambda i: register(f"ann{i}", "Ann@Example.com" if i % 2 else "ann@example.com"))
    assert outcome == Counter({202: THREADS}), outcome
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar_one() == 1
        names = Counter(conn.execute(select(events.c.name)).scalars())
    assert names == Counter({"user.registered": 1, "user.registration_attempted": THREADS - 1}), names


def test_a_reset_link_is_used_once(svc: Services, smtp: Any) -> None:
    register()
    call("POST", "forgot-password", {"email": "ann@example.com"})
    token = link_token(deliver(svc, smtp, 2)[1], "reset-password")
    outcome = race(
        lambda i: call("POST", "reset-password", {"token": token, "password": f"new passphrase {i}"})
    )
    assert outcome == Counter({200: 1, 400: THREADS - 1}), outcome
    assert sum(login(password=f"new passphrase {i}").status == 200 for i in range(THREADS)) == 1


def test_a_signed_wallet_message_logs_in_once(svc: Services) -> None:
    register()
    token = login().body["token"]
    offer = nonce("link", KEY.address, token)
    assert (
        call(
            "POST",
            "wallet/link",
            {"message": offer["message"], "signature": sign(offer["message"])},
            token=token,
        ).status
        == 200
    )
    signin = nonce("login", KEY.address)
    body = {"message": signin["message"], "signature": sign(signin["message"])}
    outcome = race(lambda i: call("POST", "wallet/login", body))
    assert outcome == Counter({200: 1, 401: THREADS - 1}), outcome


def burst(requests: list[Callable[[], Reply]]) -> list[int]:
    """Fire every request at once from its own thread; their statuses in the order given."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int | None] = [None] * len(requests)

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        statuses[i] = requests[i]().status

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert None not in statuses, statuses
    return statuses  # type: ignore[return-value]


def test_a_burst_of_wrong_passwords_gets_at_most_the_limit_through(svc: Services) -> None:
    """Each attempt is reserved before its hash is checked: 100 parallel guesses for one
    account see at most the limit (10) answered 401, every other one 429."""
    register()
    limit = svc.settings.tidecast_login_max_failures
    outcome = Counter(
        burst([lambda i=i: login("ann", f"guess number {i}", ip=f"198.51.100.{i}") for i in range(100)])
    )
    assert outcome[401] <= limit and outcome[401] + outcome[429] == 100, outcome
    assert outcome[401] >= 1  # the limit did let guesses through, up to it


def test_the_right_password_after_a_burst_is_refused_too(svc: Services) -> None:
    register()
    limit = svc.settings.tidecast_login_max_failures
    guesses = [lambda i=i: login("ann", f"guess number {i}", ip=f"203.0.113.{i}") for i in range(4 * limit)]
    assert Counter(burst(guesses))[401] <= limit
    assert login("ann", ip="203.0.113.250").status == 429  # even the right password, from anywhere
