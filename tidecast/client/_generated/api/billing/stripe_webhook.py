from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_400 import Error400
from ...models.error_408 import Error408
from ...models.error_413 import Error413
from ...models.error_500 import Error500
from ...models.error_503 import Error503
from ...models.error_504 import Error504
from ...models.stripe_webhook_body import StripeWebhookBody
from ...models.stripe_webhook_response_200 import StripeWebhookResponse200
from ...types import Response


def _get_kwargs(
    *,
    body: StripeWebhookBody,
    stripe_signature: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Stripe-Signature"] = stripe_signature

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/billing/webhook",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error400 | Error408 | Error413 | Error500 | Error503 | Error504 | StripeWebhookResponse200 | None:
    if response.status_code == 200:
        response_200 = StripeWebhookResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error400.from_dict(response.json())

        return response_400

    if response.status_code == 408:
        response_408 = Error408.from_dict(response.json())

        return response_408

    if response.status_code == 413:
        response_413 = Error413.from_dict(response.json())

        return response_413

    if response.status_code == 500:
        response_500 = Error500.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = Error503.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = Error504.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error400 | Error408 | Error413 | Error500 | Error503 | Error504 | StripeWebhookResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: StripeWebhookBody,
    stripe_signature: str,
) -> Response[Error400 | Error408 | Error413 | Error500 | Error503 | Error504 | StripeWebhookResponse200]:
    """Stripe's event deliveries (signed; idempotent by event id)

    Args:
        stripe_signature (str):
        body (StripeWebhookBody): A Stripe event, verified over its raw bytes

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error408 | Error413 | Error500 | Error503 | Error504 | StripeWebhookResponse200]
    """

    kwargs = _get_kwargs(
        body=body,
        stripe_signature=stripe_signature,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: StripeWebhookBody,
    stripe_signature: str,
) -> Error400 | Error408 | Error413 | Error500 | Error503 | Error504 | StripeWebhookResponse200 | None:
    """Stripe's event deliveries (signed; idempotent by event id)

    Args:
        stripe_signature (str):
        body (StripeWebhookBody): A Stripe event, verified over its raw bytes

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error408 | Error413 | Error500 | Error503 | Error504 | StripeWebhookResponse200
    """

    return sync_detailed(
        client=client,
        body=body,
        stripe_signature=stripe_signature,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: StripeWebhookBody,
    stripe_signature: str,
) -> Response[Error400 | Error408 | Error413 | Error500 | Error503 | Error504 | StripeWebhookResponse200]:
    """Stripe's event deliveries (signed; idempotent by event id)

    Args:
        stripe_signature (str):
        body (StripeWebhookBody): A Stripe event, verified over its raw bytes

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error408 | Error413 | Error500 | Error503 | Error504 | StripeWebhookResponse200]
    """

    kwargs = _get_kwargs(
        body=body,
        stripe_signature=stripe_signature,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: StripeWebhookBody,
    stripe_signature: str,
) -> Error400 | Error408 | Error413 | Error500 | Error503 | Error504 | StripeWebhookResponse200 | None:
    """Stripe's event deliveries (signed; idempotent by event id)

    Args:
        stripe_signature (str):
        body (StripeWebhookBody): A Stripe event, verified over its raw bytes

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error408 | Error413 | Error500 | Error503 | Error504 | StripeWebhookResponse200
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            stripe_signature=stripe_signature,
        )
    ).parsed
