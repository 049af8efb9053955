"""Buying credit through a Checkout Session, on localstripe: a FAKE of Stripe's API (Stripe
itself cannot be reached from here), extended by this project with Checkout Sessions and their
hosted page (tidecast/billing/fake_stripe.py). POST /api/billing/checkout creates the session
through the official `stripe` library at STRIPE_API_BASE; the page is paid over HTTP as a browser
would; localstripe signs and delivers the webhooks to a receiver that hands each delivery, raw
bytes and header, to the billing function. Refunds go through the library too; disputes through
the fake's controls (a card network's part)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from tests.support.accounts import add_user
from tests.support.billing import WEBHOOK_SECRET
from tests.support.chain import Chain, deployed
from tests.support.events import aws_event
from tests.support.stripe_fake import SECRET_KEY, LocalStripe, local_stripe
from tidecast.billing import ledger
from tidecast.container import Services
from tidecast.db.schema import billing_checkouts, billing_events
from tidecast.functions.billing import handler as billing_handler

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
TOKENS = 10**18


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    with local_stripe(tmp_path_factory.mktemp("localstripe")) as running:
        yield running


class Receiver:
    """Stripe's deliveries, handed to the billing function as API Gateway would hand them."""

    def __init__(self) -> None:
        self.answers: list[tuple[str, int, str]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                event = aws_event(
                    "2.0",
                    "POST",
                    "/.netlify/functions/billing/webhook",
                    body=raw.decode(),
                    headers={"Stripe-Signature": self.headers.get("Stripe-Signature", "")},
                )
                answer = billing_handler(event, None)
                self.send_response(answer["statusCode"])
                self.end_headers()
                with receiver.arrived:
                    receiver.answers.append((json.loads(raw)["type"], answer["statusCode"], answer["body"]))
                    receiver.arrived.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, kind: str, count: int = 1, timeout: float = 15.0) -> list[tuple[str, int, str]]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                got = [a for a in self.answers if a[0] == kind]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                assert left > 0, f"no {kind} delivered in {timeout} s; got {self.answers}"
                self.arrived.wait(left)


@pytest.fixture
def receiver(fake: LocalStripe) -> Iterator[Receiver]:
    found = Receiver()
    fake.register_webhook(found.url, WEBHOOK_SECRET)
    yield found
    found.server.shutdown()
    fake.register_webhook(found.url + "-gone", "whsec_unused")  # endpoints are never removed


@pytest.fixture
def svc(
    engine: Engine, embedded_chain: str, fake: LocalStripe, make_services: Callable[..., Services]
) -> Services:
    chain: Chain = deployed(embedded_chain)
    services = make_services(
        engine,
        quiet=("events", "outbox"),
        bind=True,
        **chain.env(
            STRIPE_SECRET_KEY=SECRET_KEY,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            STRIPE_API_BASE=fake.api_base,
            TIDECAST_BILLING_AMOUNTS="5,10,20",
            TIDECAST_BILLING_RATE="100",
            TIDECAST_PUBLIC_URL="http://tidecast.test",
        ),
    )
    services.billing.kick_reconcile = None
    add_user(engine, "uv", "vic", "vic@example.com")
    return services


def billing(method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    event = aws_event(
        "2.0",
        method,
        f"/.netlify/functions/billing/{path}",
        body=json.dumps(body) if body is not None else None,
        headers=headers,
    )
    raw = billing_handler(event, None)
    return raw["statusCode"], json.loads(raw["body"])


def available(svc: Services, user: str = "uv") -> int:
    with svc.engine.connect() as conn:
        return ledger.balance(conn, ledger.available(user))


@SQLITE
def test_credit_bought_on_the_checkout_page_lands_once_through_the_signed_webhook(
    svc: Services, fake: LocalStripe, receiver: Receiver
) -> None:
    login = svc.accounts.issue_login("uv").token
    status, offer = billing("GET", "config")
    assert status == 200 and offer["data"]["amounts"] == ["5.00", "10.00", "20.00"]
    assert offer["data"]["rate"] == "100" and offer["data"]["token"]["symbol"] == "TIDE"

    status, body = billing("POST", "checkout", login, {"amount": "5.00"})
    assert status == 201, body
    started = body["data"]
    assert (started["amount"], started["currency"], started["credit"]) == ("5.00", "usd", "500")
    session = fake.session(started["id"])
    assert session["amount_total"] == 500 and session["client_reference_id"] == "uv"
    assert session["success_url"].startswith("http://tidecast.test/credit/?checkout=success")

    # The viewer pays on the hosted page, as a browser would, and is sent back to tidecast.
    page = httpx.get(started["url"])
    assert page.status_code == 200 and "5.00" in page.text
    paid = httpx.post(started["url"], data={"card": "4242424242424242", "email": "vic@example.com"})
    assert paid.status_code == 303
    assert (
        paid.headers["location"] == f"http://tidecast.test/credit/?checkout=success&session={started['id']}"
    )

    (_, code, answer), *_ = receiver.wait_for("checkout.session.completed")
    assert code == 200 and json.loads(answer)["data"]["outcome"] == "applied"
    assert available(svc) == 500 * TOKENS
    status, bal = billing("GET", "balance", login)
    assert status == 200 and bal["data"]["available"] == "500" and bal["data"]["held"] == "0"
    with svc.engine.connect() as conn:
        row = conn.execute(select(billing_checkouts).where(billing_checkouts.c.id == started["id"])).one()
    assert row.status == "paid" and row.payment_intent == fake.session(started["id"])["payment_intent"]

    # Refunded through Stripe's API: charge.refunded takes the refunded share back.
    import stripe

    client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": fake.api_base})
    client.v1.refunds.create(params={"payment_intent": row.payment_intent, "amount": 200})
    (_, code, _), *_ = receiver.wait_for("charge.refunded")
    assert code == 200 and available(svc) == 300 * TOKENS

    # Disputed by the card's holder: the disputed share is held back.
    dispute = fake.dispute(row.payment_intent, 100)
    receiver.wait_for("charge.dispute.created")
    status, bal = billing("GET", "balance", login)
    assert (bal["data"]["available"], bal["data"]["disputed"], bal["data"]["disputeOpen"]) == (
        "200",
        "100",
        True,
    )
    fake.close_dispute(dispute, won=True)
    receiver.wait_for("charge.dispute.closed")
    assert available(svc) == 300 * TOKENS
    with svc.engine.connect() as conn:
        applied = conn.execute(
            select(billing_events.c.type).where(billing_events.c.outcome == "applied")
        ).scalars()
        assert sorted(applied) == sorted(
            [
                "checkout.session.completed",
                "charge.refunded",
                "charge.dispute.created",
                "charge.dispute.closed",
            ]
        )


@SQLITE
def test_a_declined_card_or_a_wrong_amount_buys_nothing(
    svc: Services, fake: LocalStripe, receiver: Receiver
) -> None:
    login = svc.accounts.issue_login("uv").token
    for amount, words in (
        ("7", "choose one of 5.00, 10.00, 20.00 USD"),
        ("5.001", "2 decimal places"),
        ("", "amount"),
    ):
        status, body = billing("POST", "checkout", login, {"amount": amount})
        assert status == 400 and words in body["error"], (amount, body)
    assert billing("POST", "checkout", None, {"amount": "5"})[0] == 401
    status, body = billing("POST", "checkout", login, {"amount": "10"})
    assert status == 201
    declined = httpx.post(body["data"]["url"], data={"card": "4000000000000002"})
    assert declined.status_code == 402 and "declined" in declined.text  # the page again, saying why
    time.sleep(1.5)  # localstripe would have delivered by now
    assert [a for a in receiver.answers if a[0] == "checkout.session.completed"] == []
    assert available(svc) == 0


@SQLITE
def test_stripe_down_is_a_503_naming_the_card_payment(
    engine: Engine, embedded_chain: str, make_services: Callable[..., Services]
) -> None:
    chain = deployed(embedded_chain)
    services = make_services(
        engine,
        bind=True,
        **chain.env(
            STRIPE_SECRET_KEY=SECRET_KEY,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            STRIPE_API_BASE="http://127.0.0.1:9",
        ),
    )
    add_user(engine, "uv", "vic", "vic@example.com")
    login = services.accounts.issue_login("uv").token
    status, body = billing("POST", "checkout", login, {"amount": "5"})
    assert status == 503 and "card payment could not be started" in body["error"], body
    with engine.connect() as conn:
        assert conn.execute(select(billing_checkouts.c.id)).first() is None


def test_tidecast_dev_brings_up_the_card_fake_and_points_its_webhook_here(tmp_path: Path) -> None:
    from tests.support.services import settings_for
    from tidecast.billing.embedded import StripePart

    assert StripePart.plan(settings_for(STRIPE_SECRET_KEY="sk_test_real_test_mode")) is None
    settings = settings_for(TIDECAST_DATA_DIR=str(tmp_path), TIDECAST_PUBLIC_URL="http://127.0.0.1:9")
    part = StripePart.plan(settings)
    assert part is not None
    part.start()
    try:
        configured = part.configure(settings)
        assert configured.stripe_api_base == part.endpoint
        assert configured.stripe_webhook_secret is not None
        assert configured.stripe_webhook_secret.get_secret_value() == part.webhook_secret
        assert "FAKE of Stripe" in part.banner("http://127.0.0.1:9")
        import stripe

        client = stripe.StripeClient(
            configured.stripe_secret_key.get_secret_value() if configured.stripe_secret_key else "",
            base_addresses={"api": part.endpoint},
        )
        made = client.v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "success_url": "http://127.0.0.1:9/credit/",
                "line_items": [
                    {
                        "price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "x"}},
                        "quantity": 1,
                    }
                ],
            }
        )
        assert made.url.startswith(part.endpoint)
    finally:
        part.stop()
    with pytest.raises(httpx.ConnectError):  # stopped with `tidecast dev`
        httpx.get(f"{part.endpoint}/_test/health")


def test_the_card_fake_goes_when_tidecast_dev_is_killed(tmp_path: Path) -> None:
    """`tidecast dev` SIGKILLed runs no clean-up: the kernel ends the fake with it (Linux)."""
    import os
    import signal
    import subprocess
    import sys

    script = (
        "import sys, time; from tests.support.services import settings_for; "
        "from tidecast.billing.embedded import StripePart; "
        f"part = StripePart.plan(settings_for(TIDECAST_DATA_DIR={str(tmp_path)!r})); part.start(); "
        "print(part._proc.pid, part.endpoint, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert parent.stdout is not None
        pid, endpoint = parent.stdout.readline().split()
        assert httpx.get(f"{endpoint}/_test/health").status_code == 200
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:  # gone, or a zombie waiting for a PID 1 that may never reap it (containers)
                if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                    break
            except FileNotFoundError:
                break
            time.sleep(0.1)
        else:
            os.kill(int(pid), signal.SIGKILL)
            raise AssertionError("the fake outlived tidecast dev")
    finally:
        parent.kill()
