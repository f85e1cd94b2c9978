from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.list_photos_ordering_item import (
    ListPhotosOrderingItem,
)
from ...models.paginated_photo_list import PaginatedPhotoList
from ...models.photo_status_enum import PhotoStatusEnum
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    ordering: list[ListPhotosOrderingItem] | Unset = UNSET,
    page: int | Unset = UNSET,
    page_size: int | Unset = UNSET,
    pet: int | Unset = UNSET,
    search: str | Unset = UNSET,
    status: PhotoStatusEnum | Unset = UNSET,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    if not isinstance(if_none_match, Unset):
        headers["If-None-Match"] = if_none_match

    params: dict[str, Any] = {}

    json_ordering: list[str] | Unset = UNSET
    if not isinstance(ordering, Unset):
        json_ordering = []
        for ordering_item_data in ordering:
            ordering_item: str = ordering_item_data
            json_ordering.append(ordering_item)

    params["ordering"] = json_ordering

    params["page"] = page

    params["page_size"] = page_size

    params["pet"] = pet

    params["search"] = search

    json_status: str | Unset = UNSET
    if not isinstance(status, Unset):
        json_status = status

    params["status"] = json_status

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/photos",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Error | PaginatedPhotoList | None:
    if response.status_code == 200:
        response_200 = PaginatedPhotoList.from_dict(response.json())

        return response_200

    if response.status_code == 304:
        response_304 = cast(Any, None)
        return response_304

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 412:
        response_412 = Error.from_dict(response.json())

        return response_412

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if 500 <= response.status_code <= 599:
        response_5xx = Error.from_dict(response.json())

        return response_5xx

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Error | PaginatedPhotoList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    ordering: list[ListPhotosOrderingItem] | Unset = UNSET,
    page: int | Unset = UNSET,
    page_size: int | Unset = UNSET,
    pet: int | Unset = UNSET,
    search: str | Unset = UNSET,
    status: PhotoStatusEnum | Unset = UNSET,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
) -> Response[Any | Error | PaginatedPhotoList]:
    """List your photos

     A page of the caller's photos.

    Args:
        ordering (list[ListPhotosOrderingItem] | Unset):
        page (int | Unset):
        page_size (int | Unset):
        pet (int | Unset):
        search (str | Unset):
        status (PhotoStatusEnum | Unset): * `pending_upload` - Waiting for the upload
            * `processing` - Processing
            * `ready` - Ready
            * `failed` - Failed
        if_match (str | Unset):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error | PaginatedPhotoList]
    """

    kwargs = _get_kwargs(
        ordering=ordering,
        page=page,
        page_size=page_size,
        pet=pet,
        search=search,
        status=status,
        if_match=if_match,
        if_none_match=if_none_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    ordering: list[ListPhotosOrderingItem] | Unset = UNSET,
    page: int | Unset = UNSET,
    page_size: int | Unset = UNSET,
    pet: int | Unset = UNSET,
    search: str | Unset = UNSET,
    status: PhotoStatusEnum | Unset = UNSET,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
) -> Any | Error | PaginatedPhotoList | None:
    """List your photos

     A page of the caller's photos.

    Args:
        ordering (list[ListPhotosOrderingItem] | Unset):
        page (int | Unset):
        page_size (int | Unset):
        pet (int | Unset):
        search (str | Unset):
        status (PhotoStatusEnum | Unset): * `pending_upload` - Waiting for the upload
            * `processing` - Processing
            * `ready` - Ready
            * `failed` - Failed
        if_match (str | Unset):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error | PaginatedPhotoList
    """

    return sync_detailed(
        client=client,
        ordering=ordering,
        page=page,
        page_size=page_size,
        pet=pet,
        search=search,
        status=status,
        if_match=if_match,
        if_none_match=if_none_match,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    ordering: list[ListPhotosOrderingItem] | Unset = UNSET,
    page: int | Unset = UNSET,
    page_size: int | Unset = UNSET,
    pet: int | Unset = UNSET,
    search: str | Unset = UNSET,
    status: PhotoStatusEnum | Unset = UNSET,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
) -> Response[Any | Error | PaginatedPhotoList]:
    """List your photos

     A page of the caller's photos.

    Args:
        ordering (list[ListPhotosOrderingItem] | Unset):
        page (int | Unset):
        page_size (int | Unset):
        pet (int | Unset):
        search (str | Unset):
        status (PhotoStatusEnum | Unset): * `pending_upload` - Waiting for the upload
            * `processing` - Processing
            * `ready` - Ready
            * `failed` - Failed
        if_match (str | Unset):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error | PaginatedPhotoList]
    """

    kwargs = _get_kwargs(
        ordering=ordering,
        page=page,
        page_size=page_size,
        pet=pet,
        search=search,
        status=status,
        if_match=if_match,
        if_none_match=if_none_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    ordering: list[ListPhotosOrderingItem] | Unset = UNSET,
    page: int | Unset = UNSET,
    page_size: int | Unset = UNSET,
    pet: int | Unset = UNSET,
    search: str | Unset = UNSET,
    status: PhotoStatusEnum | Unset = UNSET,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
) -> Any | Error | PaginatedPhotoList | None:
    """List your photos

     A page of the caller's photos.

    Args:
        ordering (list[ListPhotosOrderingItem] | Unset):
        page (int | Unset):
        page_size (int | Unset):
        pet (int | Unset):
        search (str | Unset):
        status (PhotoStatusEnum | Unset): * `pending_upload` - Waiting for the upload
            * `processing` - Processing
            * `ready` - Ready
            * `failed` - Failed
        if_match (str | Unset):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error | PaginatedPhotoList
    """

    return (
        await asyncio_detailed(
            client=client,
            ordering=ordering,
            page=page,
            page_size=page_size,
            pet=pet,
            search=search,
            status=status,
            if_match=if_match,
            if_none_match=if_none_match,
        )
    ).parsed
