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
from tidecast.db.schema import users

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
    assert outcome == Counter({201: 1, 409: THREADS - 1}), outcome
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(users)).scalar_one() == 1


def test_one_registration_wins_an_address(svc: Services) -> None:
    outcome = race(lambda i: register(f"ann{i}", "Ann@Example.com" if i % 2 else "ann@example.com"))
    assert outcome == Counter({201: 1, 409: THREADS - 1}), outcome


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
