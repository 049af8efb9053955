from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.checkout_body import CheckoutBody
from ...models.error_400 import Error400
from ...models.error_401 import Error401
from ...models.error_408 import Error408
from ...models.error_413 import Error413
from ...models.error_429 import Error429
from ...models.error_500 import Error500
from ...models.error_503 import Error503
from ...models.error_504 import Error504
from ...models.start_checkout_response_201 import StartCheckoutResponse201
from ...types import Response


def _get_kwargs(
    *,
    body: CheckoutBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/billing/checkout",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    Error400
    | Error401
    | Error408
    | Error413
    | Error429
    | Error500
    | Error503
    | Error504
    | StartCheckoutResponse201
    | None
):
    if response.status_code == 201:
        response_201 = StartCheckoutResponse201.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Error400.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error401.from_dict(response.json())

        return response_401

    if response.status_code == 408:
        response_408 = Error408.from_dict(response.json())

        return response_408

    if response.status_code == 413:
        response_413 = Error413.from_dict(response.json())

        return response_413

    if response.status_code == 429:
        response_429 = Error429.from_dict(response.json())

        return response_429

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
) -> Response[
    Error400
    | Error401
    | Error408
    | Error413
    | Error429
    | Error500
    | Error503
    | Error504
    | StartCheckoutResponse201
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: CheckoutBody,
) -> Response[
    Error400
    | Error401
    | Error408
    | Error413
    | Error429
    | Error500
    | Error503
    | Error504
    | StartCheckoutResponse201
]:
    """Start buying credit: a Stripe Checkout Session for the signed-in viewer

    Args:
        body (CheckoutBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error401 | Error408 | Error413 | Error429 | Error500 | Error503 | Error504 | StartCheckoutResponse201]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: CheckoutBody,
) -> (
    Error400
    | Error401
    | Error408
    | Error413
    | Error429
    | Error500
    | Error503
    | Error504
    | StartCheckoutResponse201
    | None
):
    """Start buying credit: a Stripe Checkout Session for the signed-in viewer

    Args:
        body (CheckoutBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error401 | Error408 | Error413 | Error429 | Error500 | Error503 | Error504 | StartCheckoutResponse201
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: CheckoutBody,
) -> Response[
    Error400
    | Error401
    | Error408
    | Error413
    | Error429
    | Error500
    | Error503
    | Error504
    | StartCheckoutResponse201
]:
    """Start buying credit: a Stripe Checkout Session for the signed-in viewer

    Args:
        body (CheckoutBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error401 | Error408 | Error413 | Error429 | Error500 | Error503 | Error504 | StartCheckoutResponse201]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: CheckoutBody,
) -> (
    Error400
    | Error401
    | Error408
    | Error413
    | Error429
    | Error500
    | Error503
    | Error504
    | StartCheckoutResponse201
    | None
):
    """Start buying credit: a Stripe Checkout Session for the signed-in viewer

    Args:
        body (CheckoutBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error401 | Error408 | Error413 | Error429 | Error500 | Error503 | Error504 | StartCheckoutResponse201
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
