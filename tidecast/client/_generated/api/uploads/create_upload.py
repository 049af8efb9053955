from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_400 import Error400
from ...models.error_401 import Error401
from ...models.error_412 import Error412
from ...models.error_413 import Error413
from ...models.error_429 import Error429
from ...models.error_500 import Error500
from ...models.error_504 import Error504
from ...models.tus_resumable import TusResumable
from ...types import Response


def _get_kwargs(
    *,
    tus_resumable: TusResumable,
    upload_length: str,
    upload_metadata: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Tus-Resumable"] = str(tus_resumable)

    headers["Upload-Length"] = upload_length

    headers["Upload-Metadata"] = upload_metadata

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/uploads",
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Error400 | Error401 | Error412 | Error413 | Error429 | Error500 | Error504 | None:
    if response.status_code == 201:
        response_201 = cast(Any, None)
        return response_201

    if response.status_code == 400:
        response_400 = Error400.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error401.from_dict(response.json())

        return response_401

    if response.status_code == 412:
        response_412 = Error412.from_dict(response.json())

        return response_412

    if response.status_code == 413:
        response_413 = Error413.from_dict(response.json())

        return response_413

    if response.status_code == 429:
        response_429 = Error429.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error500.from_dict(response.json())

        return response_500

    if response.status_code == 504:
        response_504 = Error504.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Error400 | Error401 | Error412 | Error413 | Error429 | Error500 | Error504]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    tus_resumable: TusResumable,
    upload_length: str,
    upload_metadata: str,
) -> Response[Any | Error400 | Error401 | Error412 | Error413 | Error429 | Error500 | Error504]:
    """Start a resumable upload (tus creation); the bytes follow with PATCH

    Args:
        tus_resumable (TusResumable):
        upload_length (str):
        upload_metadata (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error400 | Error401 | Error412 | Error413 | Error429 | Error500 | Error504]
    """

    kwargs = _get_kwargs(
        tus_resumable=tus_resumable,
        upload_length=upload_length,
        upload_metadata=upload_metadata,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    tus_resumable: TusResumable,
    upload_length: str,
    upload_metadata: str,
) -> Any | Error400 | Error401 | Error412 | Error413 | Error429 | Error500 | Error504 | None:
    """Start a resumable upload (tus creation); the bytes follow with PATCH

    Args:
        tus_resumable (TusResumable):
        upload_length (str):
        upload_metadata (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error400 | Error401 | Error412 | Error413 | Error429 | Error500 | Error504
    """

    return sync_detailed(
        client=client,
        tus_resumable=tus_resumable,
        upload_length=upload_length,
        upload_metadata=upload_metadata,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    tus_resumable: TusResumable,
    upload_length: str,
    upload_metadata: str,
) -> Response[Any | Error400 | Error401 | Error412 | Error413 | Error429 | Error500 | Error504]:
    """Start a resumable upload (tus creation); the bytes follow with PATCH

    Args:
        tus_resumable (TusResumable):
        upload_length (str):
        upload_metadata (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error400 | Error401 | Error412 | Error413 | Error429 | Error500 | Error504]
    """

    kwargs = _get_kwargs(
        tus_resumable=tus_resumable,
        upload_length=upload_length,
        upload_metadata=upload_metadata,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    tus_resumable: TusResumable,
    upload_length: str,
    upload_metadata: str,
) -> Any | Error400 | Error401 | Error412 | Error413 | Error429 | Error500 | Error504 | None:
    """Start a resumable upload (tus creation); the bytes follow with PATCH

    Args:
        tus_resumable (TusResumable):
        upload_length (str):
        upload_metadata (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error400 | Error401 | Error412 | Error413 | Error429 | Error500 | Error504
    """

    return (
        await asyncio_detailed(
            client=client,
            tus_resumable=tus_resumable,
            upload_length=upload_length,
            upload_metadata=upload_metadata,
        )
    ).parsed
