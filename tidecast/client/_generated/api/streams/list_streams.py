from http import HTTPStatus
from typing import Any, Literal

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_400 import Error400
from ...models.error_401 import Error401
from ...models.error_404 import Error404
from ...models.error_500 import Error500
from ...models.error_504 import Error504
from ...models.list_streams_response_200 import ListStreamsResponse200
from ...models.list_streams_sort import ListStreamsSort
from ...models.status_filter import StatusFilter
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    limit: int | Unset = 20,
    cursor: str | Unset | None = UNSET,
    status: StatusFilter | Unset | None = UNSET,
    owner: Literal["me"] | Unset | None = UNSET,
    creator: str | Unset | None = UNSET,
    q: str | Unset | None = UNSET,
    sort: ListStreamsSort | Unset = "newest",
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: str | Unset | None
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    json_status: str | Unset | None
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, str):
        json_status = status
    else:
        json_status = status
    params["status"] = json_status

    json_owner: Literal["me"] | Unset | None
    if isinstance(owner, Unset):
        json_owner = UNSET
    else:
        json_owner = owner
    params["owner"] = json_owner

    json_creator: str | Unset | None
    if isinstance(creator, Unset):
        json_creator = UNSET
    else:
        json_creator = creator
    params["creator"] = json_creator

    json_q: str | Unset | None
    if isinstance(q, Unset):
        json_q = UNSET
    else:
        json_q = q
    params["q"] = json_q

    json_sort: str | Unset = UNSET
    if not isinstance(sort, Unset):
        json_sort = sort

    params["sort"] = json_sort

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/streams",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error400 | Error401 | Error404 | Error500 | Error504 | ListStreamsResponse200 | None:
    if response.status_code == 200:
        response_200 = ListStreamsResponse200.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error400.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error401.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error404.from_dict(response.json())

        return response_404

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
) -> Response[Error400 | Error401 | Error404 | Error500 | Error504 | ListStreamsResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset | None = UNSET,
    status: StatusFilter | Unset | None = UNSET,
    owner: Literal["me"] | Unset | None = UNSET,
    creator: str | Unset | None = UNSET,
    q: str | Unset | None = UNSET,
    sort: ListStreamsSort | Unset = "newest",
) -> Response[Error400 | Error401 | Error404 | Error500 | Error504 | ListStreamsResponse200]:
    """List streams: search, sort, one creator's, newest first by default

     Keyset pagination: follow `nextCursor` (good for the sort that issued it) until it is null.
    `owner=me` needs a login; `creator` is 404 when no user has that name.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        status (None | StatusFilter | Unset):
        owner (Literal['me'] | None | Unset):
        creator (None | str | Unset):
        q (None | str | Unset):
        sort (ListStreamsSort | Unset):  Default: 'newest'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error401 | Error404 | Error500 | Error504 | ListStreamsResponse200]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        status=status,
        owner=owner,
        creator=creator,
        q=q,
        sort=sort,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset | None = UNSET,
    status: StatusFilter | Unset | None = UNSET,
    owner: Literal["me"] | Unset | None = UNSET,
    creator: str | Unset | None = UNSET,
    q: str | Unset | None = UNSET,
    sort: ListStreamsSort | Unset = "newest",
) -> Error400 | Error401 | Error404 | Error500 | Error504 | ListStreamsResponse200 | None:
    """List streams: search, sort, one creator's, newest first by default

     Keyset pagination: follow `nextCursor` (good for the sort that issued it) until it is null.
    `owner=me` needs a login; `creator` is 404 when no user has that name.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        status (None | StatusFilter | Unset):
        owner (Literal['me'] | None | Unset):
        creator (None | str | Unset):
        q (None | str | Unset):
        sort (ListStreamsSort | Unset):  Default: 'newest'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error401 | Error404 | Error500 | Error504 | ListStreamsResponse200
    """

    return sync_detailed(
        client=client,
        limit=limit,
        cursor=cursor,
        status=status,
        owner=owner,
        creator=creator,
        q=q,
        sort=sort,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset | None = UNSET,
    status: StatusFilter | Unset | None = UNSET,
    owner: Literal["me"] | Unset | None = UNSET,
    creator: str | Unset | None = UNSET,
    q: str | Unset | None = UNSET,
    sort: ListStreamsSort | Unset = "newest",
) -> Response[Error400 | Error401 | Error404 | Error500 | Error504 | ListStreamsResponse200]:
    """List streams: search, sort, one creator's, newest first by default

     Keyset pagination: follow `nextCursor` (good for the sort that issued it) until it is null.
    `owner=me` needs a login; `creator` is 404 when no user has that name.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        status (None | StatusFilter | Unset):
        owner (Literal['me'] | None | Unset):
        creator (None | str | Unset):
        q (None | str | Unset):
        sort (ListStreamsSort | Unset):  Default: 'newest'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error400 | Error401 | Error404 | Error500 | Error504 | ListStreamsResponse200]
    """

    kwargs = _get_kwargs(
        limit=limit,
        cursor=cursor,
        status=status,
        owner=owner,
        creator=creator,
        q=q,
        sort=sort,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 20,
    cursor: str | Unset | None = UNSET,
    status: StatusFilter | Unset | None = UNSET,
    owner: Literal["me"] | Unset | None = UNSET,
    creator: str | Unset | None = UNSET,
    q: str | Unset | None = UNSET,
    sort: ListStreamsSort | Unset = "newest",
) -> Error400 | Error401 | Error404 | Error500 | Error504 | ListStreamsResponse200 | None:
    """List streams: search, sort, one creator's, newest first by default

     Keyset pagination: follow `nextCursor` (good for the sort that issued it) until it is null.
    `owner=me` needs a login; `creator` is 404 when no user has that name.

    Args:
        limit (int | Unset):  Default: 20.
        cursor (None | str | Unset):
        status (None | StatusFilter | Unset):
        owner (Literal['me'] | None | Unset):
        creator (None | str | Unset):
        q (None | str | Unset):
        sort (ListStreamsSort | Unset):  Default: 'newest'.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error400 | Error401 | Error404 | Error500 | Error504 | ListStreamsResponse200
    """

    return (
        await asyncio_detailed(
            client=client,
            limit=limit,
            cursor=cursor,
            status=status,
            owner=owner,
            creator=creator,
            q=q,
            sort=sort,
        )
    ).parsed
