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
from ...models.error_413 import Error413
from ...models.error_500 import Error500
from ...models.error_503 import Error503
from ...models.error_504 import Error504
from ...models.patch_body import PatchBody
from ...models.patch_stream_response_200 import PatchStreamResponse200
from ...types import Response


def _get_kwargs(
    stream_id: str,
    *,
    body: PatchBody,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/streams/{stream_id}".format(
            stream_id=quote(str(stream_id), safe=""),
        ),
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
    | Error403
    | Error404
    | Error408
    | Error413
    | Error500
    | Error503
    | Error504
    | PatchStreamResponse200
    | None
):
    if response.status_code == 200:
        response_200 = PatchStreamResponse200.from_dict(response.json())

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
    | Error413
    | Error500
    | Error503
    | Error504
    | PatchStreamResponse200
]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    stream_id: str,
    *,
    client: AuthenticatedClient,
    body: PatchBody,
) -> Response[
    Error400
    | Error401
    | Error403
    | Error404
    | Error408
    | Error413
    | Error500
    | Error503
    | Error504
    | PatchStreamResponse200
]:
    """Change a stream's title, description, price or thumbnail (its owner only)

    Args:
        stream_id (str):
        body (PatchBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error401 | Error403 | Error404 | Error408 | Error413 | Error500 | Error503 | Error504 | PatchStreamResponse200]
    """

    kwargs = _get_kwargs(
        stream_id=stream_id,
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    stream_id: str,
    *,
    client: AuthenticatedClient,
    body: PatchBody,
) -> (
    Error400
    | Error401
    | Error403
    | Error404
    | Error408
    | Error413
    | Error500
    | Error503
    | Error504
    | PatchStreamResponse200
    | None
):
    """Change a stream's title, description, price or thumbnail (its owner only)

    Args:
        stream_id (str):
        body (PatchBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error401 | Error403 | Error404 | Error408 | Error413 | Error500 | Error503 | Error504 | PatchStreamResponse200
    """

    return sync_detailed(
        stream_id=stream_id,
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    stream_id: str,
    *,
    client: AuthenticatedClient,
    body: PatchBody,
) -> Response[
    Error400
    | Error401
    | Error403
    | Error404
    | Error408
    | Error413
    | Error500
    | Error503
    | Error504
    | PatchStreamResponse200
]:
    """Change a stream's title, description, price or thumbnail (its owner only)

    Args:
        stream_id (str):
        body (PatchBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error401 | Error403 | Error404 | Error408 | Error413 | Error500 | Error503 | Error504 | PatchStreamResponse200]
    """

    kwargs = _get_kwargs(
        stream_id=stream_id,
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    stream_id: str,
    *,
    client: AuthenticatedClient,
    body: PatchBody,
) -> (
    Error400
    | Error401
    | Error403
    | Error404
    | Error408
    | Error413
    | Error500
    | Error503
    | Error504
    | PatchStreamResponse200
    | None
):
    """Change a stream's title, description, price or thumbnail (its owner only)

    Args:
        stream_id (str):
        body (PatchBody):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error401 | Error403 | Error404 | Error408 | Error413 | Error500 | Error503 | Error504 | PatchStreamResponse200
    """

    return (
        await asyncio_detailed(
            stream_id=stream_id,
            client=client,
            body=body,
        )
    ).parsed
