"""A local FAKE of Stripe's API, for development (`tidecast dev`) and the tests: localstripe
(PyPI, a stateful imitation of Stripe's API) with what tidecast's card payments need and it lacks.

No money moves here and nothing reaches Stripe: it lets a laptop (and the test machines, which
cannot reach Stripe) run the whole card path. Version 1.15.10 of localstripe has no Checkout
Sessions, the one Stripe feature tidecast's card payments are built on, so this module adds them
as this project's own extension, on localstripe's aiohttp app and store:

- ``/v1/checkout/sessions`` (create, retrieve, list, expire) answering Stripe's shapes and its
  ``invalid_request_error`` bodies;
- a hosted payment page at ``/checkout/pay/{id}`` (the session's ``url``), where a test card
  number (4242 4242 4242 4242) pays through localstripe's own PaymentIntent and Charge, so
  refunds work on the result;
- ``charge.refunded`` (and ``refund.created``) on every refund, which localstripe does not send,
  and refunds past the charge's amount refused as Stripe does;
- test-only controls under ``/_test/`` (never a Stripe path): pay without the page, a delayed
  payment's later success or failure, disputes opened and closed.

Every event goes through localstripe's webhook machinery (stored, so ``GET /v1/events/{id}``
finds it, then signed and posted a second later like Stripe's). localstripe's habit of pickling
its whole store to /tmp/localstripe.pickle on every write is switched off: two processes would
share that file. Run as ``python -m tidecast.billing.fake_stripe --port N``; it listens on
127.0.0.1 only. localstripe is a development dependency (requirements-dev.lock; `make dev`
installs it): never part of a deployment package (tidecast/deploy/package.py leaves this module
out).
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from localstripe import resources as ls  # type: ignore[import-untyped]
from localstripe import server as ls_server
from localstripe.errors import UserError  # type: ignore[import-untyped]
from localstripe.webhooks import schedule_webhook  # type: ignore[import-untyped]

#: Stripe's hosted sessions last 24 hours unless `expires_at` says otherwise (30 min to 24 h).
SESSION_LIFETIME = 24 * 3600
MIN_LIFETIME = 30 * 60
#: Currencies whose amounts have no minor unit (Stripe's list): 500 JPY is ¥500, not ¥5.00.
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
#: What a Checkout Session create accepts here; anything else is refused as Stripe refuses an
#: unknown parameter, so a feature this fake does not model fails loudly instead of passing.
SESSION_PARAMS = frozenset(
    {
        "mode",
        "line_items",
        "success_url",
        "cancel_url",
        "client_reference_id",
        "customer_email",
        "metadata",
        "payment_intent_data",
        "payment_method_types",
        "expires_at",
    }
)
PAYMENT_INTENT_DATA_PARAMS = frozenset({"metadata", "description"})
#: The paths that need no API key: the customer's page and the tests' controls.
OPEN_PREFIXES = ("/checkout/pay/", "/_test/")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _respond(body: Any, status: int = 200) -> web.Response:
    """JSON as localstripe answers it (sorted keys, indented)."""
    return web.json_response(
        body, status=status, dumps=lambda obj: json.dumps(obj, indent=2, sort_keys=True) + "\n"
    )


class CardError(Exception):
    """A card the payment refuses: a 402 `card_error` for the API, an error line on the page."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def response(self) -> web.Response:
        body = {"error": {"type": "card_error", "code": self.code, "message": self.message}}
        return _respond(body, status=402)


def _invalid(message: str, param: str | None = None, status: int = 400, code: str | None = None) -> Exception:
    """Stripe's `invalid_request_error` (localstripe's error middleware answers it)."""
    contents = {"param": param} if param is not None else {}
    if code is not None:
        contents["code"] = code
    return UserError(status, message, contents)  # type: ignore[no-any-return]


def _int(value: Any) -> int | None:
    """An integer as the form encoding sends it ("500"), or as JSON does."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _metadata(value: Any, param: str) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise _invalid("Invalid object", param)
    metadata: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or len(key) > 40:
            raise _invalid("Metadata keys can have up to 40 characters.", f"{param}[{key}]")
        if not isinstance(item, str | int | float) or isinstance(item, bool) or len(str(item)) > 500:
            raise _invalid("Metadata values can have up to 500 characters.", f"{param}[{key}]")
        metadata[key] = str(item)
    return metadata


def _url(value: Any, param: str) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise _invalid("Not a valid URL", param)
    return value


def _line_items(value: Any) -> list[dict[str, Any]]:
    """Each item: name, unit_amount, quantity, currency; only `price_data` (no price ids: this
    fake has no Price objects)."""
    if value is None or value == "" or value == []:
        raise _invalid("Missing required param: line_items.", "line_items")
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _invalid("Invalid array", "line_items")
    items = []
    for index, item in enumerate(value):
        at = f"line_items[{index}]"
        for key in item:
            if key not in ("price_data", "quantity"):
                if key == "price":
                    raise _invalid(
                        "This fake supports line items with price_data only, not prices by id.",
                        f"{at}[price]",
                    )
                raise _invalid(f"Received unknown parameter: {at}[{key}]", f"{at}[{key}]")
        price = item.get("price_data")
        if not isinstance(price, dict):
            raise _invalid(f"Missing required param: {at}[price_data].", f"{at}[price_data]")
        currency = price.get("currency")
        if not isinstance(currency, str) or not re.fullmatch(r"[a-zA-Z]{3}", currency):
            raise _invalid(
                f"Missing required param: {at}[price_data][currency].", f"{at}[price_data][currency]"
            )
        unit_amount = _int(price.get("unit_amount"))
        if unit_amount is None or unit_amount <= 0:
            raise _invalid(
                f"Invalid {at}[price_data][unit_amount]: must be a positive integer "
                "(the amount in the currency's smallest unit).",
                f"{at}[price_data][unit_amount]",
            )
        product = price.get("product_data")
        name = product.get("name") if isinstance(product, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise _invalid(
                f"Missing required param: {at}[price_data][product_data][name].",
                f"{at}[price_data][product_data][name]",
            )
        quantity = _int(item.get("quantity"))
        if quantity is None or quantity <= 0:
            raise _invalid(f"Invalid {at}[quantity]: must be a positive integer.", f"{at}[quantity]")
        items.append(
            {"name": name, "unit_amount": unit_amount, "quantity": quantity, "currency": currency.lower()}
        )
    if len({item["currency"] for item in items}) > 1:
        raise _invalid("All line items must be in the same currency.", "line_items")
    return items


class CheckoutSession(ls.StripeObject):  # type: ignore[misc]
    """Stripe's `checkout.session` in payment mode. localstripe exports every public attribute
    (and every public name of the class), so helpers here all start with an underscore."""

    object = "checkout.session"
    _id_prefix = "cs_test_"

    def __init__(self, base_url: str, **params: Any) -> None:
        for key in params:
            if key not in SESSION_PARAMS:
                raise _invalid(f"Received unknown parameter: {key}", key)
        mode = params.get("mode")
        if mode is None:
            raise _invalid("Missing required param: mode.", "mode")
        if mode != "payment":
            raise _invalid(f"This fake supports mode=payment only, not {mode!r}.", "mode")
        if params.get("success_url") is None:
            raise _invalid("Missing required param: success_url.", "success_url")
        success_url = _url(params["success_url"], "success_url")
        cancel_url = _url(params["cancel_url"], "cancel_url") if params.get("cancel_url") else None
        items = _line_items(params.get("line_items"))
        types = params.get("payment_method_types")
        if types is not None and types != ["card"]:
            raise _invalid("This fake supports payment_method_types=['card'] only.", "payment_method_types")
        reference = params.get("client_reference_id")
        if reference is not None and (not isinstance(reference, str) or not 0 < len(reference) <= 200):
            raise _invalid("Invalid client_reference_id: up to 200 characters.", "client_reference_id")
        email = params.get("customer_email")
        if email is not None and (not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+", email)):
            raise _invalid(f"Invalid email address: {email}", "customer_email")
        metadata = _metadata(params.get("metadata"), "metadata")
        pi_data = params.get("payment_intent_data") or {}
        if not isinstance(pi_data, dict):
            raise _invalid("Invalid object", "payment_intent_data")
        for key in pi_data:
            if key not in PAYMENT_INTENT_DATA_PARAMS:
                raise _invalid(
                    f"Received unknown parameter: payment_intent_data[{key}]", f"payment_intent_data[{key}]"
                )
        pi_metadata = _metadata(pi_data.get("metadata"), "payment_intent_data[metadata]")
        now = int(time.time())
        expires_at = now + SESSION_LIFETIME
        if params.get("expires_at") is not None:
            asked = _int(params["expires_at"])
            if asked is None or not now + MIN_LIFETIME <= asked <= now + SESSION_LIFETIME:
                raise _invalid(
                    "The `expires_at` timestamp must be between 30 minutes and 24 hours from now.",
                    "expires_at",
                )
            expires_at = asked

        # All exceptions must be raised before this point (the parent stores the object).
        super().__init__(id=self._id_prefix + "a1" + ls.random_id(56))

        self._line_items = items
        self._pi_metadata = pi_metadata
        self._pi_description = pi_data.get("description")
        self._delayed = False
        self.mode = "payment"
        self.status = "open"
        self.payment_status = "unpaid"
        self.url: str | None = f"{base_url}/checkout/pay/{self.id}"
        self.success_url = success_url
        self.cancel_url = cancel_url
        self.client_reference_id = reference
        self.customer = None
        self.customer_email = email
        self.customer_details: dict[str, Any] | None = None
        self.metadata = metadata
        self.currency = items[0]["currency"]
        self.amount_subtotal = sum(item["unit_amount"] * item["quantity"] for item in items)
        self.amount_total = self.amount_subtotal
        self.payment_intent: str | None = None
        self.payment_method_types = ["card"]
        self.ui_mode = "hosted"
        self.expires_at = expires_at

    def _expire_if_due(self) -> None:
        if self.status == "open" and time.time() >= self.expires_at:
            self._expire()

    def _expire(self) -> None:
        self.status = "expired"
        self.url = None
        _fire("checkout.session.expired", self)

    @classmethod
    def _get(cls, id: str) -> CheckoutSession:
        session = ls.store.get(f"{cls.object}:{id}")
        if not isinstance(session, CheckoutSession):
            raise _invalid(
                f"No such checkout.session: '{id}'", "session", status=404, code="resource_missing"
            )
        session._expire_if_due()
        return session


class Dispute(ls.StripeObject):  # type: ignore[misc]
    """Stripe's `dispute` on a charge, opened and closed by the tests (Stripe's own come from
    the card networks)."""

    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge: Any, amount: int) -> None:
        super().__init__(id=self._id_prefix + "1" + ls.random_id(23))
        self.amount = amount
        self.currency = charge.currency
        self.charge = charge.id
        self.payment_intent = charge.payment_intent
        self.status = "needs_response"
        self.reason = "fraudulent"
        self.is_charge_refundable = False
        self.metadata: dict[str, str] = {}
        self.evidence_details = {"due_by": self.created + 7 * 24 * 3600, "has_evidence": False}


def _fire(event_type: str, obj: Any) -> Any:
    """Store the event (GET /v1/events/{id} finds it) and send it to the registered webhooks."""
    event = ls.Event(event_type, obj)
    schedule_webhook(event)
    return event


def _declined(number: str) -> bool:
    """localstripe's own declined test cards (when attaching or when charging), asked of a probe
    that is not stored: a declined card leaves nothing behind."""
    probe = ls.PaymentMethod.__new__(ls.PaymentMethod)
    probe.type = "card"
    probe._card_number = number
    return bool(probe._attaching_is_declined() or probe._charging_is_declined())


def _needs_authentication(number: str) -> bool:
    probe = ls.PaymentMethod.__new__(ls.PaymentMethod)
    probe.type = "card"
    probe._card_number = number
    return bool(probe._requires_authentication())


def _pay(session: CheckoutSession, card: str, email: str | None, *, delayed: bool) -> None:
    """What paying on the page does: a PaymentMethod, a PaymentIntent carrying the session's
    `payment_intent_data`, its Charge (pending when `delayed`, as a bank debit would be), then the
    session complete and `checkout.session.completed`."""
    if session.status != "open":
        raise _invalid(f"This Checkout Session is no longer open (its status is {session.status}).")
    number = re.sub(r"[\s-]", "", card)
    if not re.fullmatch(r"[0-9]{16}", number):
        raise CardError("Your card number is incomplete.", "incomplete_number")
    if _declined(number):
        raise CardError("Your card was declined.", "card_declined")
    if _needs_authentication(number):
        raise CardError(
            "This card requires 3-D Secure authentication, which this fake's page does not model.",
            "authentication_required",
        )
    email = email or session.customer_email
    if not email:
        raise CardError("Your email address is incomplete.", "email_invalid")
    year = time.gmtime().tm_year + 3
    method = ls.PaymentMethod(
        type="card",
        card={"number": number, "exp_month": 12, "exp_year": year, "cvc": "123"},
        billing_details={"email": email},
    )
    intent = ls.PaymentIntent(
        amount=session.amount_total,
        currency=session.currency,
        payment_method=method.id,
        metadata=dict(session._pi_metadata),
    )
    intent.description = session._pi_description
    if delayed:
        charge = ls.Charge(
            amount=intent.amount,
            currency=intent.currency,
            source=method.id,
            metadata=dict(session._pi_metadata),
        )
        charge.payment_intent = intent.id
        intent.latest_charge = charge  # a pending charge: the intent is `processing`

    else:

        def refused() -> None:
            raise CardError("Your card was declined.", "card_declined")

        intent._confirm(on_failure_now=refused)  # the Charge, its balance, payment_intent.succeeded
        intent.latest_charge.metadata = dict(session._pi_metadata)
    session._delayed = delayed
    session.status = "complete"
    session.payment_status = "unpaid" if delayed else "paid"
    session.payment_intent = intent.id
    session.customer_details = {"email": email, "name": None, "address": None, "phone": None}
    session.url = None
    _fire("checkout.session.completed", session)


def _finish_async(session: CheckoutSession, *, succeeded: bool) -> None:
    if not (session.status == "complete" and session._delayed and session.payment_status == "unpaid"):
        raise _invalid("This session has no delayed payment waiting (pay it with delayed=true first).")
    intent = ls.PaymentIntent._api_retrieve(session.payment_intent)
    charge = intent.latest_charge
    if charge.status != "pending":
        raise _invalid("This session's delayed payment has already finished.")
    if succeeded:
        charge._trigger_payment(on_success=intent._on_success)  # payment_intent.succeeded
        session.payment_status = "paid"
        _fire("checkout.session.async_payment_succeeded", session)
    else:
        charge._set_auth_failure()
        intent._report_async_failure()  # payment_intent.payment_failed
        _fire("checkout.session.async_payment_failed", session)


def _succeeded_charge(payment_intent: Any) -> Any:
    if not isinstance(payment_intent, str) or not payment_intent.startswith("pi_"):
        raise _invalid("Missing required param: payment_intent.", "payment_intent")
    intent = ls.PaymentIntent._api_retrieve(payment_intent)
    charge = intent.latest_charge
    if charge is None or charge.status != "succeeded":
        raise _invalid(f"PaymentIntent {payment_intent} has no succeeded charge.", "payment_intent")
    return charge


# --- The API's routes --------------------------------------------------------------------------


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _expand(data: dict[str, Any]) -> list[str] | None:
    expand = data.pop("expand", None)
    if isinstance(expand, str):
        return [expand]
    return expand  # type: ignore[no-any-return]


async def create_session(request: web.Request) -> web.Response:
    data = await ls_server.get_post_data(request) or {}
    expand = _expand(data)
    session = CheckoutSession(_base_url(request), **data)
    return _respond(session._export(expand=expand))


async def retrieve_session(request: web.Request) -> web.Response:
    session = CheckoutSession._get(request.match_info["id"])
    expand = _expand(ls_server.unflatten_data(request.query))
    return _respond(session._export(expand=expand))


async def list_sessions(request: web.Request) -> web.Response:
    data = ls_server.unflatten_data(request.query)
    expand = _expand(data)
    payment_intent = data.pop("payment_intent", None)
    limit = data.pop("limit", None)
    starting_after = data.pop("starting_after", None)
    if data:
        name = next(iter(data))
        raise _invalid(f"Received unknown parameter: {name}", name)
    listed = ls.List("/v1/checkout/sessions", limit=limit, starting_after=starting_after)
    sessions = [obj for key, obj in ls.store.items() if key.startswith(f"{CheckoutSession.object}:")]
    for session in sessions:
        session._expire_if_due()
    listed._list = [
        session
        for session in reversed(sessions)
        if payment_intent is None or session.payment_intent == payment_intent
    ]
    return _respond(listed._export(expand=expand))


async def expire_session(request: web.Request) -> web.Response:
    session = CheckoutSession._get(request.match_info["id"])
    if session.status != "open":
        raise _invalid(
            f'Only Checkout Sessions with a status in ["open"] can be expired. '
            f"This Checkout Session has a status of {session.status}."
        )
    session._expire()
    return _respond(session._export())


def _intent_export(original: Callable[..., Any]) -> Callable[..., Any]:
    """localstripe exports a PaymentIntent's `latest_charge` as the whole Charge; Stripe gives its
    id unless `expand` asks for it, and code written against the fake must work on Stripe."""

    def export(self: Any, expand: list[str] | None = None) -> Any:
        obj = original(self, expand=expand)
        wanted = any(
            path.split(".", 1)[0] == "latest_charge" for path in expand or [] if isinstance(path, str)
        )
        if isinstance(obj.get("latest_charge"), dict) and not wanted:
            obj["latest_charge"] = obj["latest_charge"]["id"]
        return obj

    return export


def _refund_create(original: Callable[..., Any]) -> Callable[..., Any]:
    """localstripe's Refund create, plus Stripe's refusals (past the unrefunded amount, or of a
    payment that never succeeded) and the `refund.created` and `charge.refunded` events."""

    def create(cls: Any, **data: Any) -> Any:
        charge_id = data.get("charge")
        intent_id = data.get("payment_intent")
        if isinstance(intent_id, str) and intent_id.startswith("pi_") and charge_id is None:
            intent = ls.PaymentIntent._api_retrieve(intent_id)
            if intent.latest_charge is None:
                raise _invalid(f"PaymentIntent {intent_id} has no charge to refund.", "payment_intent")
            charge_id = intent.latest_charge.id
        if isinstance(charge_id, str) and charge_id.startswith("ch_"):
            charge = ls.Charge._api_retrieve(charge_id)
            if charge.status != "succeeded":
                raise _invalid("Cannot refund a payment that has not succeeded.", "charge")
            amount = None
            if data.get("amount") is not None:
                amount = _int(data["amount"])
                if amount is None or amount <= 0:
                    raise _invalid("Invalid positive integer", "amount")
            left = charge.amount - charge.amount_refunded
            if left <= 0:
                raise _invalid(
                    f"Charge {charge.id} has already been refunded.", "charge", code="charge_already_refunded"
                )
            if amount is not None and amount > left:
                raise _invalid(
                    f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})", "amount"
                )
            if amount is None:
                data["amount"] = left
        refund = original(**data)
        _fire("refund.created", refund)
        _fire("charge.refunded", ls.Charge._api_retrieve(refund.charge))
        return refund

    return create


# --- The hosted page ---------------------------------------------------------------------------


def _money(amount: int, currency: str) -> str:
    if currency in ZERO_DECIMAL:
        return f"{amount} {currency.upper()}"
    return f"{amount // 100}.{amount % 100:02d} {currency.upper()}"


def _page(session: CheckoutSession, *, error: str | None = None, email: str | None = None) -> str:
    esc = html.escape
    items = "".join(
        f"<li>{esc(item['name'])} &times; {item['quantity']}: "
        f"{esc(_money(item['unit_amount'] * item['quantity'], item['currency']))}</li>"
        for item in session._line_items
    )
    closed = {
        "complete": "This Checkout Session is complete.",
        "expired": "This Checkout Session has expired.",
    }
    if session.status in closed:
        body = f'<p id="status">{closed[session.status]}</p>'
    else:
        alert = f'<p id="error" role="alert">{esc(error)}</p>' if error else ""
        prefill = esc(email or session.customer_email or "", quote=True)
        cancel = ""
        if session.cancel_url:
            cancel = f'<p><a id="cancel" href="{esc(session.cancel_url, quote=True)}">Cancel</a></p>'

        body = f"""{alert}
<form method="post" action="/checkout/pay/{esc(session.id, quote=True)}">
  <p><label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="email" required value="{prefill}"></p>
  <p><label for="cardNumber">Card number</label>
  <input id="cardNumber" name="card" inputmode="numeric" autocomplete="cc-number" required
    placeholder="4242 4242 4242 4242"></p>
  <button id="submit">Pay</button>
</form>
{cancel}"""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>localstripe Checkout</title>
</head>
<body>
<main>
<h1>localstripe Checkout</h1>
<p>A local test fake of Stripe Checkout: no real card is charged.</p>
<ul id="items">{items}</ul>
<p>Total: <strong id="amount">{esc(_money(session.amount_total, session.currency))}</strong></p>
{body}
</main>
</body>
</html>
"""


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


async def show_page(request: web.Request) -> web.Response:
    try:
        session = CheckoutSession._get(request.match_info["id"])
    except UserError:
        return _html(
            "<!doctype html><title>localstripe Checkout</title><p>No such Checkout Session.</p>", 404
        )
    return _html(_page(session))


async def submit_page(request: web.Request) -> web.StreamResponse:
    try:
        session = CheckoutSession._get(request.match_info["id"])
    except UserError:
        return _html(
            "<!doctype html><title>localstripe Checkout</title><p>No such Checkout Session.</p>", 404
        )
    if session.status != "open":
        return _html(_page(session), 409)
    form = await request.post()
    card = str(form.get("card", ""))
    email = str(form.get("email", "")).strip() or None
    try:
        _pay(session, card, email, delayed=False)
    except CardError as e:
        return _html(_page(session, error=e.message, email=email), 402)
    raise web.HTTPSeeOther(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.id))


# --- The tests' controls -----------------------------------------------------------------------


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise _invalid("The body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise _invalid("The body must be a JSON object.")
    return data


async def control_health(request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def control_pay(request: web.Request) -> web.Response:
    session = CheckoutSession._get(request.match_info["id"])
    data = await _json(request)
    delayed = _bool(data.get("delayed", False))
    if delayed is None:
        raise _invalid("delayed must be a boolean", "delayed")
    try:
        email = data.get("email") or session.customer_email or "customer@example.com"
        _pay(session, str(data.get("card", "4242424242424242")), str(email), delayed=delayed)
    except CardError as e:
        return e.response()
    return _respond(session._export())


async def control_async(request: web.Request) -> web.Response:
    session = CheckoutSession._get(request.match_info["id"])
    succeeded = _bool((await _json(request)).get("succeeded"))
    if succeeded is None:
        raise _invalid("succeeded must be a boolean", "succeeded")
    _finish_async(session, succeeded=succeeded)
    return _respond(session._export())


async def control_dispute(request: web.Request) -> web.Response:
    data = await _json(request)
    charge = _succeeded_charge(data.get("payment_intent"))
    amount = charge.amount if data.get("amount") is None else _int(data["amount"])
    if amount is None or not 0 < amount <= charge.amount:
        raise _invalid(f"amount must be between 1 and the charge's {charge.amount}", "amount")
    dispute = Dispute(charge, amount)
    _fire("charge.dispute.created", dispute)
    return _respond(dispute._export())


async def control_close_dispute(request: web.Request) -> web.Response:
    dispute = ls.store.get(f"dispute:{request.match_info['id']}")
    if not isinstance(dispute, Dispute):
        raise _invalid(
            f"No such dispute: '{request.match_info['id']}'", "dispute", status=404, code="resource_missing"
        )
    won = _bool((await _json(request)).get("won"))
    if won is None:
        raise _invalid("won must be a boolean", "won")
    if dispute.status in ("won", "lost"):
        raise _invalid(f"This dispute is already closed ({dispute.status}).")
    dispute.status = "won" if won else "lost"
    _fire("charge.dispute.closed", dispute)
    return _respond(dispute._export())


async def retrieve_dispute(request: web.Request) -> web.Response:
    dispute = ls.store.get(f"dispute:{request.match_info['id']}")
    if not isinstance(dispute, Dispute):
        raise _invalid(
            f"No such dispute: '{request.match_info['id']}'", "dispute", status=404, code="resource_missing"
        )
    return _respond(dispute._export())


# --- The app -----------------------------------------------------------------------------------


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """localstripe's API-key check, except for the customer's page and the tests' controls."""
    if request.path.startswith(OPEN_PREFIXES):
        return await handler(request)
    return await ls_server.auth_middleware(request, handler)  # type: ignore[no-any-return]


_built = False


def build_app() -> web.Application:
    """localstripe's app with this module's routes and patches (once per process)."""
    global _built
    app: web.Application = ls_server.app
    if _built:
        return app
    _built = True
    ls.store.dump_to_disk = lambda: None  # no shared /tmp/localstripe.pickle
    ls.Refund._api_create = classmethod(_refund_create(ls.Refund._api_create))
    ls.PaymentIntent._export = _intent_export(ls.PaymentIntent._export)
    middlewares = app.middlewares
    middlewares[middlewares.index(ls_server.auth_middleware)] = auth_middleware
    app.router.add_post("/v1/checkout/sessions", create_session)
    app.router.add_get("/v1/checkout/sessions", list_sessions)
    app.router.add_get("/v1/checkout/sessions/{id}", retrieve_session)
    app.router.add_post("/v1/checkout/sessions/{id}/expire", expire_session)
    app.router.add_get("/v1/disputes/{id}", retrieve_dispute)
    app.router.add_get("/checkout/pay/{id}", show_page)
    app.router.add_post("/checkout/pay/{id}", submit_page)
    app.router.add_get("/_test/health", control_health)
    app.router.add_post("/_test/checkout/{id}/pay", control_pay)
    app.router.add_post("/_test/checkout/{id}/async", control_async)
    app.router.add_post("/_test/disputes", control_dispute)
    app.router.add_post("/_test/disputes/{id}/close", control_close_dispute)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    access = logging.getLogger("aiohttp.access")
    web.run_app(build_app(), host="127.0.0.1", port=args.port, access_log=access, print=print)


if __name__ == "__main__":
    main()
