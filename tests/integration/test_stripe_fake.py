"""The Stripe fake the billing tests stand on (tests/support/stripe_fake.py): localstripe with this
project's Checkout Sessions, hosted page, refund and dispute webhooks.

Driven the way tidecast drives Stripe: the official `stripe` library pointed at the fake, a real
HTTP form post on the hosted page, and a webhook endpoint that verifies each `Stripe-Signature`
with `stripe.Webhook.construct_event`. If the fake drifts from Stripe's shapes, the billing tests
built on it would pass against something Stripe does not do; these pin what it answers.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, cast

import httpx
import pytest
import stripe

from tests.support.stripe_fake import SECRET_KEY, LocalStripe, LocalStripeError, local_stripe

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

WEBHOOK_SECRET = "whsec_tidecast_test"
#: localstripe posts each event a second after it happens; generous for a loaded machine.
WAIT = 15.0
Event = dict[str, Any]


class WebhookEndpoint:
    """An HTTP endpoint that keeps the events whose signature verifies; a bad one gets a 400 and
    is counted (a test fails on any)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.rejected: list[str] = []
        self.deliveries: list[tuple[bytes, str]] = []
        self._changed = threading.Condition()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                header = self.headers.get("Stripe-Signature", "")
                try:
                    stripe.Webhook.construct_event(payload, header, WEBHOOK_SECRET)
                except (stripe.SignatureVerificationError, ValueError) as e:
                    with endpoint._changed:
                        endpoint.rejected.append(str(e))
                    self.send_response(400)
                else:
                    with endpoint._changed:
                        endpoint.deliveries.append((payload, header))
                        endpoint.events.append(json.loads(payload))
                        endpoint._changed.notify_all()
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/stripe/webhook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait(self, event_type: str, match: Callable[[dict[str, Any]], bool], timeout: float = WAIT) -> Event:
        """The first `event_type` event whose `data.object` matches, waiting for it to arrive."""

        def found() -> Event | None:
            for event in self.events:
                if event["type"] == event_type and match(event["data"]["object"]):
                    return event
            return None

        with self._changed:
            if not self._changed.wait_for(lambda: found() is not None, timeout=timeout):
                seen = [(e["type"], e["data"]["object"].get("id")) for e in self.events]
                raise AssertionError(f"no {event_type} within {timeout} s; received {seen}")
            event = found()
            assert event is not None
            return event

    def of(self, event_type: str, object_id: str) -> list[Event]:
        with self._changed:
            return [
                e for e in self.events if e["type"] == event_type and e["data"]["object"]["id"] == object_id
            ]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    with local_stripe(tmp_path_factory.mktemp("localstripe")) as server:
        yield server


@pytest.fixture(scope="module")
def hooks(fake: LocalStripe) -> Iterator[WebhookEndpoint]:
    endpoint = WebhookEndpoint()
    fake.register_webhook(endpoint.url, WEBHOOK_SECRET)
    yield endpoint
    endpoint.close()
    assert endpoint.rejected == []


@pytest.fixture(scope="module")
def client(fake: LocalStripe) -> stripe.StripeClient:
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": fake.api_base}, max_network_retries=0)


def _params(**overrides: Any) -> SessionCreateParams:
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "eur",
                    "unit_amount": 450,
                    "product_data": {"name": "Film: Tides"},
                },
                "quantity": 2,
            },
            {
                "price_data": {"currency": "eur", "unit_amount": 100, "product_data": {"name": "Tip"}},
                "quantity": 1,
            },
        ],
        "success_url": "https://tidecast.test/billing/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://tidecast.test/billing/cancelled",
        "client_reference_id": "account-42",
        "customer_email": "viewer@example.com",
        "metadata": {"order": "ord_1", "account": "42"},
        "payment_intent_data": {"metadata": {"order": "ord_1"}},
    }
    params.update(overrides)
    return cast("SessionCreateParams", {k: v for k, v in params.items() if v is not None})


def _charge_count(client: stripe.StripeClient) -> int:
    return len(client.v1.charges.list(params={"limit": 100}).data)


def test_a_session_is_created_with_stripes_fields(fake: LocalStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_params())

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.url == f"{fake.api_base}/checkout/pay/{session.id}"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert (session.amount_total, session.currency) == (1000, "eur")
    assert session.metadata is not None
    assert session.metadata.to_dict() == {"order": "ord_1", "account": "42"}
    assert session.client_reference_id == "account-42"
    assert session.customer_email == "viewer@example.com"
    assert session.payment_intent is None
    assert session.success_url == "https://tidecast.test/billing/done?session={CHECKOUT_SESSION_ID}"
    assert session.cancel_url == "https://tidecast.test/billing/cancelled"
    assert session.livemode is False
    assert session.expires_at - session.created == 24 * 3600

    again = client.v1.checkout.sessions.retrieve(session.id)
    assert again.to_dict() == session.to_dict()
    assert fake.session(session.id)["amount_total"] == 1000

    page = httpx.get(session.url)
    assert page.status_code == 200
    assert "<title>localstripe Checkout</title>" in page.text
    assert "10.00 EUR" in page.text
    assert '<input id="cardNumber" name="card"' in page.text
    assert '<button id="submit">Pay</button>' in page.text
    assert 'value="viewer@example.com"' in page.text


def test_paying_on_the_hosted_page_redirects_and_sends_a_signed_webhook(
    fake: LocalStripe, client: stripe.StripeClient, hooks: WebhookEndpoint
) -> None:
    session = client.v1.checkout.sessions.create(params=_params())
    assert session.url is not None

    paid = httpx.post(session.url, data={"email": "payer@example.com", "card": "4242 4242 4242 4242"})

    assert paid.status_code == 303
    assert paid.headers["location"] == f"https://tidecast.test/billing/done?session={session.id}"
    event = hooks.wait("checkout.session.completed", lambda obj: obj["id"] == session.id)
    completed = event["data"]["object"]
    assert (completed["status"], completed["payment_status"]) == ("complete", "paid")
    assert completed["customer_details"]["email"] == "payer@example.com"
    assert completed["metadata"] == {"order": "ord_1", "account": "42"}
    assert completed["client_reference_id"] == "account-42"

    # The delivery verifies with the endpoint's secret and with no other.
    payload, header = next(d for d in hooks.deliveries if json.loads(d[0])["id"] == event["id"])
    verified = stripe.Webhook.construct_event(payload, header, WEBHOOK_SECRET)
    assert (verified.id, verified.type) == (event["id"], "checkout.session.completed")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_someone_else")
    assert client.v1.events.retrieve(event["id"]).type == "checkout.session.completed"

    intent = client.v1.payment_intents.retrieve(completed["payment_intent"])
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 1000, "eur")
    assert intent.metadata.to_dict() == {"order": "ord_1"}
    assert isinstance(intent.latest_charge, str)  # an id unless expanded, as in Stripe
    assert client.v1.checkout.sessions.retrieve(session.id).payment_intent == intent.id

    # The page of a completed session says so and charges nothing more.
    charges = _charge_count(client)
    page = httpx.get(session.url)
    assert "This Checkout Session is complete." in page.text
    assert 'id="cardNumber"' not in page.text
    again = httpx.post(session.url, data={"email": "payer@example.com", "card": "4242424242424242"})
    assert again.status_code == 409
    assert _charge_count(client) == charges
    with pytest.raises(LocalStripeError) as refused:
        fake.pay(session.id)
    assert refused.value.status == 400


def test_a_declined_card_charges_nothing(fake: LocalStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_params())
    assert session.url is not None
    charges = _charge_count(client)

    declined = httpx.post(session.url, data={"email": "payer@example.com", "card": "4000000000000002"})

    assert declined.status_code == 402
    assert "Your card was declined" in declined.text
    assert '<input id="cardNumber" name="card"' in declined.text  # the page again, to try another card
    with pytest.raises(LocalStripeError) as refused:
        fake.pay(session.id, "4000000000000002")
    assert (refused.value.status, refused.value.error["code"]) == (402, "card_declined")
    after = fake.session(session.id)
    assert (after["status"], after["payment_status"], after["payment_intent"]) == ("open", "unpaid", None)
    assert _charge_count(client) == charges


@pytest.mark.parametrize("succeeded", [True, False], ids=["succeeded", "failed"])
def test_a_delayed_payment_completes_unpaid_then_settles(
    succeeded: bool, fake: LocalStripe, client: stripe.StripeClient, hooks: WebhookEndpoint
) -> None:
    session = client.v1.checkout.sessions.create(params=_params())

    fake.pay(session.id, delayed=True)
    pending = fake.session(session.id)
    assert (pending["status"], pending["payment_status"]) == ("complete", "unpaid")
    assert client.v1.payment_intents.retrieve(pending["payment_intent"]).status == "processing"
    fake.finish_async(session.id, succeeded=succeeded)

    completed = hooks.wait("checkout.session.completed", lambda obj: obj["id"] == session.id)
    assert completed["data"]["object"]["payment_status"] == "unpaid"
    outcome = "succeeded" if succeeded else "failed"
    settled = hooks.wait(f"checkout.session.async_payment_{outcome}", lambda obj: obj["id"] == session.id)
    after = fake.session(session.id)
    intent = client.v1.payment_intents.retrieve(pending["payment_intent"])
    if succeeded:
        assert settled["data"]["object"]["payment_status"] == "paid"
        assert (after["payment_status"], intent.status) == ("paid", "succeeded")
    else:
        assert settled["data"]["object"]["payment_status"] == "unpaid"
        assert (after["payment_status"], intent.status) == ("unpaid", "requires_payment_method")
    with pytest.raises(LocalStripeError):
        fake.finish_async(session.id, succeeded=True)  # settled once only


def test_a_refund_sends_charge_refunded(
    fake: LocalStripe, client: stripe.StripeClient, hooks: WebhookEndpoint
) -> None:
    session = client.v1.checkout.sessions.create(params=_params())
    fake.pay(session.id)
    intent = fake.session(session.id)["payment_intent"]

    first = client.v1.refunds.create(params={"payment_intent": intent, "amount": 300})
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.refunds.create(params={"payment_intent": intent, "amount": 701})
    second = client.v1.refunds.create(params={"payment_intent": intent})  # the rest
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": intent, "amount": 1})

    assert (first.amount, second.amount, first.charge) == (300, 700, second.charge)
    assert (over.value.http_status, over.value.param) == (400, "amount")
    assert (again.value.http_status, again.value.code) == (400, "charge_already_refunded")
    partly = hooks.wait(
        "charge.refunded", lambda obj: obj["payment_intent"] == intent and obj["amount_refunded"] == 300
    )
    fully = hooks.wait(
        "charge.refunded", lambda obj: obj["payment_intent"] == intent and obj["amount_refunded"] == 1000
    )
    assert (partly["data"]["object"]["refunded"], fully["data"]["object"]["refunded"]) == (False, True)
    assert fully["data"]["object"]["id"] == first.charge
    assert fully["data"]["object"]["amount"] == 1000
    assert len(hooks.of("charge.refunded", str(first.charge))) == 2


def test_disputes_are_opened_and_closed(
    fake: LocalStripe, client: stripe.StripeClient, hooks: WebhookEndpoint
) -> None:
    intents = []
    for _ in range(2):
        session = client.v1.checkout.sessions.create(params=_params())
        fake.pay(session.id)
        intents.append(fake.session(session.id)["payment_intent"])

    lost = fake.dispute(intents[0], amount=400)
    won = fake.dispute(intents[1])
    fake.close_dispute(lost, won=False)
    fake.close_dispute(won, won=True)

    created = hooks.wait("charge.dispute.created", lambda obj: obj["id"] == lost)["data"]["object"]
    assert created["id"].startswith("dp_")
    assert (created["object"], created["status"], created["reason"]) == (
        "dispute",
        "needs_response",
        "fraudulent",
    )
    assert (created["amount"], created["currency"], created["payment_intent"]) == (400, "eur", intents[0])
    assert created["charge"] == client.v1.payment_intents.retrieve(intents[0]).latest_charge
    assert (
        hooks.wait("charge.dispute.created", lambda obj: obj["id"] == won)["data"]["object"]["amount"] == 1000
    )
    assert (
        hooks.wait("charge.dispute.closed", lambda obj: obj["id"] == lost)["data"]["object"]["status"]
        == "lost"
    )
    assert (
        hooks.wait("charge.dispute.closed", lambda obj: obj["id"] == won)["data"]["object"]["status"] == "won"
    )
    with pytest.raises(LocalStripeError):
        fake.close_dispute(won, won=False)  # closed once only


def test_an_expired_session_cannot_be_paid(fake: LocalStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_params())
    assert session.url is not None

    expired = client.v1.checkout.sessions.expire(session.id)

    assert (expired.status, expired.url) == ("expired", None)
    assert "This Checkout Session has expired." in httpx.get(session.url).text
    with pytest.raises(LocalStripeError):
        fake.pay(session.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


@pytest.mark.parametrize(
    ("overrides", "param"),
    [
        ({"success_url": None}, "success_url"),
        ({"line_items": None}, "line_items"),
        (
            {
                "line_items": [
                    {
                        "price_data": {"currency": "eur", "unit_amount": 0, "product_data": {"name": "X"}},
                        "quantity": 1,
                    }
                ]
            },
            "line_items[0][price_data][unit_amount]",
        ),
        (
            {
                "line_items": [
                    {
                        "price_data": {"currency": "eur", "unit_amount": 500, "product_data": {"name": "X"}},
                        "quantity": 0,
                    }
                ]
            },
            "line_items[0][quantity]",
        ),
        ({"mode": "subscription"}, "mode"),
        ({"locale": "fr"}, "locale"),
    ],
    ids=["no-success-url", "no-line-items", "zero-amount", "zero-quantity", "subscription", "unknown-param"],
)
def test_bad_parameters_are_refused_like_stripe(
    overrides: dict[str, Any], param: str, client: stripe.StripeClient
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(params=_params(**overrides))

    assert (refused.value.http_status, refused.value.param) == (400, param)
    body = cast("dict[str, Any]", refused.value.json_body)
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"]


def test_the_api_needs_a_secret_key(fake: LocalStripe) -> None:
    response = httpx.post(f"{fake.api_base}/v1/checkout/sessions", data={"mode": "payment"})
    assert response.status_code == 401


def test_the_fake_listens_on_127_0_0_1_only(fake: LocalStripe) -> None:
    assert fake.api_base.startswith("http://127.0.0.1:")
    elsewhere = fake.api_base.replace("127.0.0.1", "127.0.0.2")  # loopback too, but not bound
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{elsewhere}/_test/health", timeout=2.0)
