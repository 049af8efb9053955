from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_400 import Error400
from ...models.error_401 import Error401
from ...models.error_403 import Error403
from ...models.error_404 import Error404
from ...models.error_408 import Error408
from ...models.error_409 import Error409
from ...models.error_413 import Error413
from ...models.error_500 import Error500
from ...models.error_503 import Error503
from ...models.error_504 import Error504
from ...models.stop_body import StopBody
from ...models.stop_credit_playback_response_200 import StopCreditPlaybackResponse200
from ...types import UNSET, Response, Unset


def _get_kwargs(
    playback_id: str,
    *,
    body: StopBody | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/billing/playbacks/{playback_id}/stop".format(
            playback_id=quote(str(playback_id), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    Error400
    | Error401
    | Error403
    | Error404
    | Error408
    | Error409
    | Error413
    | Error500
    | Error503
    | Error504
    | StopCreditPlaybackResponse200
    | None
):
    if response.status_code == 200:
        response_200 = StopCreditPlaybackResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error400.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error401.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error403.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error404.from_dict(response.json())

        return response_404

    if response.status_code == 408:
        response_408 = Error408.from_dict(response.json())

        return response_408

    if response.status_code == 409:
        response_409 = Error409.from_dict(response.json())

        return response_409

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
) -> Response[
    Error400
    | Error401
    | Error403
    | Error404
    | Error408
    | Error409
    | Error413
    | Error500
    | Error503
    | Error504
    | StopCreditPlaybackResponse200
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    playback_id: str,
    *,
    client: AuthenticatedClient,
    body: StopBody | Unset = UNSET,
) -> Response[
    Error400
    | Error401
    | Error403
    | Error404
    | Error408
    | Error409
    | Error413
    | Error500
    | Error503
    | Error504
    | StopCreditPlaybackResponse200
]:
    """Stop a card-paid playback now: charged what streamed, the rest of the hold released

    Args:
        playback_id (str):
        body (StopBody | Unset): Nothing to say: a body, if any, must be `{}` (a client sending
            more is told so).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error401 | Error403 | Error404 | Error408 | Error409 | Error413 | Error500 | Error503 | Error504 | StopCreditPlaybackResponse200]
    """

    kwargs = _get_kwargs(
        playback_id=playback_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    playback_id: str,
    *,
    client: AuthenticatedClient,
    body: StopBody | Unset = UNSET,
) -> (
    Error400
    | Error401
    | Error403
    | Error404
    | Error408
    | Error409
    | Error413
    | Error500
    | Error503
    | Error504
    | StopCreditPlaybackResponse200
    | None
):
    """Stop a card-paid playback now: charged what streamed, the rest of the hold released

    Args:
        playback_id (str):
        body (StopBody | Unset): Nothing to say: a body, if any, must be `{}` (a client sending
            more is told so).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error401 | Error403 | Error404 | Error408 | Error409 | Error413 | Error500 | Error503 | Error504 | StopCreditPlaybackResponse200
    """

    return sync_detailed(
        playback_id=playback_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    playback_id: str,
    *,
    client: AuthenticatedClient,
    body: StopBody | Unset = UNSET,
) -> Response[
    Error400
    | Error401
    | Error403
    | Error404
    | Error408
    | Error409
    | Error413
    | Error500
    | Error503
    | Error504
    | StopCreditPlaybackResponse200
]:
    """Stop a card-paid playback now: charged what streamed, the rest of the hold released

    Args:
        playback_id (str):
        body (StopBody | Unset): Nothing to say: a body, if any, must be `{}` (a client sending
            more is told so).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error401 | Error403 | Error404 | Error408 | Error409 | Error413 | Error500 | Error503 | Error504 | StopCreditPlaybackResponse200]
    """

    kwargs = _get_kwargs(
        playback_id=playback_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    playback_id: str,
    *,
    client: AuthenticatedClient,
    body: StopBody | Unset = UNSET,
) -> (
    Error400
    | Error401
    | Error403
    | Error404
    | Error408
    | Error409
    | Error413
    | Error500
    | Error503
    | Error504
    | StopCreditPlaybackResponse200
    | None
):
    """Stop a card-paid playback now: charged what streamed, the rest of the hold released

    Args:
        playback_id (str):
        body (StopBody | Unset): Nothing to say: a body, if any, must be `{}` (a client sending
            more is told so).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error401 | Error403 | Error404 | Error408 | Error409 | Error413 | Error500 | Error503 | Error504 | StopCreditPlaybackResponse200
    """

    return (
        await asyncio_detailed(
            playback_id=playback_id,
            client=client,
            body=body,
        )
    ).parsed
