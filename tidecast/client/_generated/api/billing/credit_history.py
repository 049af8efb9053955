from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.credit_history_response_200 import CreditHistoryResponse200
from ...models.error_400 import Error400
from ...models.error_401 import Error401
from ...models.error_500 import Error500
from ...models.error_503 import Error503
from ...models.error_504 import Error504
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 50,
    before: int | Unset | None = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_before: int | Unset | None
    if isinstance(before, Unset):
        json_before = UNSET
    else:
        json_before = before
    params["before"] = json_before

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/billing/history",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreditHistoryResponse200 | Error400 | Error401 | Error500 | Error503 | Error504 | None:
    if response.status_code == 200:
        response_200 = CreditHistoryResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error400.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error401.from_dict(response.json())

        return response_401

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
) -> Response[CreditHistoryResponse200 | Error400 | Error401 | Error500 | Error503 | Error504]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    before: int | Unset | None = UNSET,
) -> Response[CreditHistoryResponse200 | Error400 | Error401 | Error500 | Error503 | Error504]:
    """The signed-in viewer's ledger rows, newest first

    Args:
        limit (int | Unset):  Default: 50.
        before (int | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreditHistoryResponse200 | Error400 | Error401 | Error500 | Error503 | Error504]
    """

    kwargs = _get_kwargs(
        limit=limit,
        before=before,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    before: int | Unset | None = UNSET,
) -> CreditHistoryResponse200 | Error400 | Error401 | Error500 | Error503 | Error504 | None:
    """The signed-in viewer's ledger rows, newest first

    Args:
        limit (int | Unset):  Default: 50.
        before (int | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreditHistoryResponse200 | Error400 | Error401 | Error500 | Error503 | Error504
    """

    return sync_detailed(
        client=client,
        limit=limit,
        before=before,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    before: int | Unset | None = UNSET,
) -> Response[CreditHistoryResponse200 | Error400 | Error401 | Error500 | Error503 | Error504]:
    """The signed-in viewer's ledger rows, newest first

    Args:
        limit (int | Unset):  Default: 50.
        before (int | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreditHistoryResponse200 | Error400 | Error401 | Error500 | Error503 | Error504]
    """

    kwargs = _get_kwargs(
        limit=limit,
        before=before,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 50,
    before: int | Unset | None = UNSET,
) -> CreditHistoryResponse200 | Error400 | Error401 | Error500 | Error503 | Error504 | None:
    """The signed-in viewer's ledger rows, newest first

    Args:
        limit (int | Unset):  Default: 50.
        before (int | None | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreditHistoryResponse200 | Error400 | Error401 | Error500 | Error503 | Error504
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            before=before,
        )
    ).parsed
