"""Accounts over HTTP through the real dev server: netlify.toml's /api/* rewrite, the client's
real address as the rate limit's source IP, and headers (Retry-After, WWW-Authenticate, Allow)
as a browser sees them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.support.devserver import running_devserver
from tidecast.container import Services

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_register_login_me_and_the_limit_over_http(
    engine: Engine, make_services: Callable[..., Services]
) -> None:
    # No worker here: mail is not what this test is about.
    make_services(
        engine, quiet=("events",), bind=True, TIDECAST_BCRYPT_ROUNDS=4, TIDECAST_LOGIN_MAX_FAILURES=2
    )
    with running_devserver(ROOT) as base, httpx.Client(base_url=base, timeout=20) as client:
        body = {"username": "ann", "email": "ann@example.com", "password": "correct horse battery"}
        created = client.post("/api/auth/register", json=body)
        assert created.status_code == 202, created.text
        assert created.headers["content-type"].startswith("application/json")

        wrong_method = client.get("/api/auth/login")
        assert wrong_method.status_code == 405 and "POST" in wrong_method.headers["allow"]

        ok = client.post("/api/auth/login", json={"username": "ann", "password": body["password"]})
        assert ok.status_code == 200 and ok.json()["user"]["username"] == "ann"
        me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {ok.json()['token']}"})
        assert me.status_code == 200 and me.json()["data"]["email"] == "ann@example.com"
        anonymous = client.get("/api/auth/me")
        assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Bearer")

        for name in ("nobody", "ghost"):  # two failures from this client's address (127.0.0.1)
            assert client.post("/api/auth/login", json={"username": name, "password": "x"}).status_code == 401
        limited = client.post("/api/auth/login", json={"username": "ann", "password": body["password"]})
        assert limited.status_code == 429 and limited.json()["code"] == "RATE_LIMITED"
        assert 1 <= int(limited.headers["retry-after"]) <= 900
        # A client cannot pick its own address: no proxy is trusted, so X-Forwarded-For is ignored.
        for forwarded in ("203.0.113.77", "203.0.113.77, 127.0.0.1"):
            spoofed = client.post(
                "/api/auth/login",
                json={"username": "ann", "password": body["password"]},
                headers={"X-Forwarded-For": forwarded, "Forwarded": "for=203.0.113.78"},
            )
            assert spoofed.status_code == 429, forwarded
        assert "address" in limited.json()["error"]
