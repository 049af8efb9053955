from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_400 import Error400
from ...models.error_401 import Error401
from ...models.error_402 import Error402
from ...models.error_403 import Error403
from ...models.error_404 import Error404
from ...models.error_409 import Error409
from ...models.error_500 import Error500
from ...models.error_503 import Error503
from ...models.error_504 import Error504
from ...types import Response


def _get_kwargs(
    stream_id: str,
    period: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/keys/{stream_id}/{period}".format(
            stream_id=quote(str(stream_id), safe=""),
            period=quote(str(period), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    Error400
    | Error401
    | Error402
    | Error403
    | Error404
    | Error409
    | Error500
    | Error503
    | Error504
    | str
    | None
):
    if response.status_code == 200:
        response_200 = cast(str, response.content)
        return response_200

    if response.status_code == 400:
        response_400 = Error400.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error401.from_dict(response.json())

        return response_401

    if response.status_code == 402:
        response_402 = Error402.from_dict(response.json())

        return response_402

    if response.status_code == 403:
        response_403 = Error403.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error404.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Error409.from_dict(response.json())

        return response_409

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
    Error400 | Error401 | Error402 | Error403 | Error404 | Error409 | Error500 | Error503 | Error504 | str
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    stream_id: str,
    period: str,
    *,
    client: AuthenticatedClient,
) -> Response[
    Error400 | Error401 | Error402 | Error403 | Error404 | Error409 | Error500 | Error503 | Error504 | str
]:
    """One HLS AES-128 content key, for a paid playback token

     The Bearer is a playback token (POST /api/streams/{stream_id}/playback), not a login.

    Args:
        stream_id (str):
        period (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error401 | Error402 | Error403 | Error404 | Error409 | Error500 | Error503 | Error504 | str]
    """

    kwargs = _get_kwargs(
        stream_id=stream_id,
        period=period,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    stream_id: str,
    period: str,
    *,
    client: AuthenticatedClient,
) -> (
    Error400
    | Error401
    | Error402
    | Error403
    | Error404
    | Error409
    | Error500
    | Error503
    | Error504
    | str
    | None
):
    """One HLS AES-128 content key, for a paid playback token

     The Bearer is a playback token (POST /api/streams/{stream_id}/playback), not a login.

    Args:
        stream_id (str):
        period (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error401 | Error402 | Error403 | Error404 | Error409 | Error500 | Error503 | Error504 | str
    """

    return sync_detailed(
        stream_id=stream_id,
        period=period,
        client=client,
    ).parsed


async def asyncio_detailed(
    stream_id: str,
    period: str,
    *,
    client: AuthenticatedClient,
) -> Response[
    Error400 | Error401 | Error402 | Error403 | Error404 | Error409 | Error500 | Error503 | Error504 | str
]:
    """One HLS AES-128 content key, for a paid playback token

     The Bearer is a playback token (POST /api/streams/{stream_id}/playback), not a login.

    Args:
        stream_id (str):
        period (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error401 | Error402 | Error403 | Error404 | Error409 | Error500 | Error503 | Error504 | str]
    """

    kwargs = _get_kwargs(
        stream_id=stream_id,
        period=period,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    stream_id: str,
    period: str,
    *,
    client: AuthenticatedClient,
) -> (
    Error400
    | Error401
    | Error402
    | Error403
    | Error404
    | Error409
    | Error500
    | Error503
    | Error504
    | str
    | None
):
    """One HLS AES-128 content key, for a paid playback token

     The Bearer is a playback token (POST /api/streams/{stream_id}/playback), not a login.

    Args:
        stream_id (str):
        period (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error401 | Error402 | Error403 | Error404 | Error409 | Error500 | Error503 | Error504 | str
    """

    return (
        await asyncio_detailed(
            stream_id=stream_id,
            period=period,
            client=client,
        )
    ).parsed
