from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_401 import Error401
from ...models.error_404 import Error404
from ...models.error_409 import Error409
from ...models.error_412 import Error412
from ...models.error_500 import Error500
from ...models.error_504 import Error504
from ...models.tus_resumable import TusResumable
from ...types import Response


def _get_kwargs(
    upload_id: str,
    *,
    tus_resumable: TusResumable,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Tus-Resumable"] = str(tus_resumable)

    _kwargs: dict[str, Any] = {
        "method": "delete",
        "url": "/api/uploads/{upload_id}".format(
            upload_id=quote(str(upload_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Error401 | Error404 | Error409 | Error412 | Error500 | Error504 | None:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 401:
        response_401 = Error401.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error404.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Error409.from_dict(response.json())

        return response_409

    if response.status_code == 412:
        response_412 = Error412.from_dict(response.json())

        return response_412

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
) -> Response[Any | Error401 | Error404 | Error409 | Error412 | Error500 | Error504]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    upload_id: str,
    *,
    client: AuthenticatedClient,
    tus_resumable: TusResumable,
) -> Response[Any | Error401 | Error404 | Error409 | Error412 | Error500 | Error504]:
    """Drop an unfinished upload (tus termination)

    Args:
        upload_id (str):
        tus_resumable (TusResumable):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error401 | Error404 | Error409 | Error412 | Error500 | Error504]
    """

    kwargs = _get_kwargs(
        upload_id=upload_id,
        tus_resumable=tus_resumable,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    upload_id: str,
    *,
    client: AuthenticatedClient,
    tus_resumable: TusResumable,
) -> Any | Error401 | Error404 | Error409 | Error412 | Error500 | Error504 | None:
    """Drop an unfinished upload (tus termination)

    Args:
        upload_id (str):
        tus_resumable (TusResumable):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error401 | Error404 | Error409 | Error412 | Error500 | Error504
    """

    return sync_detailed(
        upload_id=upload_id,
        client=client,
        tus_resumable=tus_resumable,
    ).parsed


async def asyncio_detailed(
    upload_id: str,
    *,
    client: AuthenticatedClient,
    tus_resumable: TusResumable,
) -> Response[Any | Error401 | Error404 | Error409 | Error412 | Error500 | Error504]:
    """Drop an unfinished upload (tus termination)

    Args:
        upload_id (str):
        tus_resumable (TusResumable):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error401 | Error404 | Error409 | Error412 | Error500 | Error504]
    """

    kwargs = _get_kwargs(
        upload_id=upload_id,
        tus_resumable=tus_resumable,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    upload_id: str,
    *,
    client: AuthenticatedClient,
    tus_resumable: TusResumable,
) -> Any | Error401 | Error404 | Error409 | Error412 | Error500 | Error504 | None:
    """Drop an unfinished upload (tus termination)

    Args:
        upload_id (str):
        tus_resumable (TusResumable):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error401 | Error404 | Error409 | Error412 | Error500 | Error504
    """

    return (
        await asyncio_detailed(
            upload_id=upload_id,
            client=client,
            tus_resumable=tus_resumable,
        )
    ).parsed
