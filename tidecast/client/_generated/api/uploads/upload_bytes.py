from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_400 import Error400
from ...models.error_401 import Error401
from ...models.error_404 import Error404
from ...models.error_408 import Error408
from ...models.error_409 import Error409
from ...models.error_412 import Error412
from ...models.error_413 import Error413
from ...models.error_415 import Error415
from ...models.error_500 import Error500
from ...models.error_503 import Error503
from ...models.error_504 import Error504
from ...models.tus_resumable import TusResumable
from ...types import File, Response


def _get_kwargs(
    upload_id: str,
    *,
    body: File,
    tus_resumable: TusResumable,
    upload_offset: str,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Tus-Resumable"] = str(tus_resumable)

    headers["Upload-Offset"] = upload_offset

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/uploads/{upload_id}".format(
            upload_id=quote(str(upload_id), safe=""),
        ),
    }

    _kwargs["content"] = body.payload
    headers["Content-Type"] = "application/offset+octet-stream"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> (
    Any
    | Error400
    | Error401
    | Error404
    | Error408
    | Error409
    | Error412
    | Error413
    | Error415
    | Error500
    | Error503
    | Error504
    | None
):
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 400:
        response_400 = Error400.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error401.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error404.from_dict(response.json())

        return response_404

    if response.status_code == 408:
        response_408 = Error408.from_dict(response.json())

        return response_408

    if response.status_code == 409:
        response_409 = Error409.from_dict(response.json())

        return response_409

    if response.status_code == 412:
        response_412 = Error412.from_dict(response.json())

        return response_412

    if response.status_code == 413:
        response_413 = Error413.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Error415.from_dict(response.json())

        return response_415

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
    Any
    | Error400
    | Error401
    | Error404
    | Error408
    | Error409
    | Error412
    | Error413
    | Error415
    | Error500
    | Error503
    | Error504
]:
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
    body: File,
    tus_resumable: TusResumable,
    upload_offset: str,
) -> Response[
    Any
    | Error400
    | Error401
    | Error404
    | Error408
    | Error409
    | Error412
    | Error413
    | Error415
    | Error500
    | Error503
    | Error504
]:
    """Append bytes at Upload-Offset; the last chunk makes the stream

     The body is raw video bytes (application/offset+octet-stream), at most 4194304 a request on Lambda;
    a complete upload that is not a video is refused (400) and discarded.

    Args:
        upload_id (str):
        tus_resumable (TusResumable):
        upload_offset (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error400 | Error401 | Error404 | Error408 | Error409 | Error412 | Error413 | Error415 | Error500 | Error503 | Error504]
    """

    kwargs = _get_kwargs(
        upload_id=upload_id,
        body=body,
        tus_resumable=tus_resumable,
        upload_offset=upload_offset,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    upload_id: str,
    *,
    client: AuthenticatedClient,
    body: File,
    tus_resumable: TusResumable,
    upload_offset: str,
) -> (
    Any
    | Error400
    | Error401
    | Error404
    | Error408
    | Error409
    | Error412
    | Error413
    | Error415
    | Error500
    | Error503
    | Error504
    | None
):
    """Append bytes at Upload-Offset; the last chunk makes the stream

     The body is raw video bytes (application/offset+octet-stream), at most 4194304 a request on Lambda;
    a complete upload that is not a video is refused (400) and discarded.

    Args:
        upload_id (str):
        tus_resumable (TusResumable):
        upload_offset (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error400 | Error401 | Error404 | Error408 | Error409 | Error412 | Error413 | Error415 | Error500 | Error503 | Error504
    """

    return sync_detailed(
        upload_id=upload_id,
        client=client,
        body=body,
        tus_resumable=tus_resumable,
        upload_offset=upload_offset,
    ).parsed


async def asyncio_detailed(
    upload_id: str,
    *,
    client: AuthenticatedClient,
    body: File,
    tus_resumable: TusResumable,
    upload_offset: str,
) -> Response[
    Any
    | Error400
    | Error401
    | Error404
    | Error408
    | Error409
    | Error412
    | Error413
    | Error415
    | Error500
    | Error503
    | Error504
]:
    """Append bytes at Upload-Offset; the last chunk makes the stream

     The body is raw video bytes (application/offset+octet-stream), at most 4194304 a request on Lambda;
    a complete upload that is not a video is refused (400) and discarded.

    Args:
        upload_id (str):
        tus_resumable (TusResumable):
        upload_offset (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error400 | Error401 | Error404 | Error408 | Error409 | Error412 | Error413 | Error415 | Error500 | Error503 | Error504]
    """

    kwargs = _get_kwargs(
        upload_id=upload_id,
        body=body,
        tus_resumable=tus_resumable,
        upload_offset=upload_offset,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    upload_id: str,
    *,
    client: AuthenticatedClient,
    body: File,
    tus_resumable: TusResumable,
    upload_offset: str,
) -> (
    Any
    | Error400
    | Error401
    | Error404
    | Error408
    | Error409
    | Error412
    | Error413
    | Error415
    | Error500
    | Error503
    | Error504
    | None
):
    """Append bytes at Upload-Offset; the last chunk makes the stream

     The body is raw video bytes (application/offset+octet-stream), at most 4194304 a request on Lambda;
    a complete upload that is not a video is refused (400) and discarded.

    Args:
        upload_id (str):
        tus_resumable (TusResumable):
        upload_offset (str):
        body (File):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error400 | Error401 | Error404 | Error408 | Error409 | Error412 | Error413 | Error415 | Error500 | Error503 | Error504
    """

    return (
        await asyncio_detailed(
            upload_id=upload_id,
            client=client,
            body=body,
            tus_resumable=tus_resumable,
            upload_offset=upload_offset,
        )
    ).parsed
