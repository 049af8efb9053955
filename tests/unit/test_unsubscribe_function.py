"""The one-click unsubscribe function (RFC 8058) through AWS's sample events."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.support.events import aws_event
from tidecast.container import Services
from tidecast.db.schema import mail_suppressions
from tidecast.functions.unsubscribe import handler

ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def suppressed(services: Services) -> list[str]:
    with services.engine.connect() as conn:
        return list(conn.execute(select(mail_suppressions.c.address)).scalars())


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_one_click_post_unsubscribes(services: Services, version: str) -> None:
    token = services.email.unsubscribe_token("ann@example.com")
    reply = handler(aws_event(version, "POST", "/api/unsubscribe", {"token": token}, ONE_CLICK, FORM), None)
    assert reply["statusCode"] == 200
    assert json.loads(reply["body"])["data"] == {
        "address": "ann@example.com",
        "unsubscribed": True,
        "alreadyUnsubscribed": False,
    }
    again = handler(aws_event(version, "POST", "/api/unsubscribe", {"token": token}, ONE_CLICK, FORM), None)
    assert json.loads(again["body"])["data"]["alreadyUnsubscribed"] is True
    assert suppressed(services) == ["ann@example.com"]


def test_get_shows_a_confirmation_and_changes_nothing(services: Services) -> None:
    token = services.email.unsubscribe_token("ann@example.com")
    reply = handler(aws_event("1.0", "GET", "/api/unsubscribe", {"token": token}), None)
    assert reply["statusCode"] == 200 and reply["headers"]["Content-Type"].startswith("text/html")
    assert "ann@example.com" in reply["body"] and 'method="post"' in reply["body"]
    assert suppressed(services) == []


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({}, "missing its token"),
        ({"token": "YW5uQGV4YW1wbGUuY29t.AAAAAAAAAAAAAAAAAAAAAA"}, "not valid"),
        ({"token": "%%%"}, "unsubscribe token"),
    ],
)
def test_bad_tokens_are_400_and_change_nothing(services: Services, query, problem: str) -> None:
    reply = handler(aws_event("1.0", "POST", "/api/unsubscribe", query, ONE_CLICK, FORM), None)
    body = json.loads(reply["body"])
    assert reply["statusCode"] == 400 and body["code"] == "BAD_REQUEST" and problem in body["error"]
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(mail_suppressions)).scalar() == 0
