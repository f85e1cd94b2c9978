from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.photo import Photo
from ...models.photo_upload_request import PhotoUploadRequest
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: PhotoUploadRequest,
    caption: str | Unset = UNSET,
    pet: int | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    params: dict[str, Any] = {}

    params["caption"] = caption

    params["pet"] = pet

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/photos",
        "params": params,
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | Photo | None:
    if response.status_code == 201:
        response_201 = Photo.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 409:
        response_409 = Error.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Error.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if 500 <= response.status_code <= 599:
        response_5xx = Error.from_dict(response.json())

        return response_5xx

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | Photo]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: PhotoUploadRequest,
    caption: str | Unset = UNSET,
    pet: int | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Error | Photo]:
    """Upload a photo directly

     A multipart form with `file` (and optional `pet`, `caption`), or the raw image as the body with
    `?pet=&caption=`. At most PHOTOS_DIRECT_MAX_BYTES (4 MiB by default); larger photos go through `POST
    /v1/photos/uploads`. The image is checked and processed before the answer, so the photo comes back
    `ready`.

    Args:
        caption (str | Unset):
        pet (int | Unset):
        idempotency_key (str | Unset):
        body (PhotoUploadRequest): A direct upload: the file, and optionally the pet it shows and
            a caption.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Photo]
    """

    kwargs = _get_kwargs(
        body=body,
        caption=caption,
        pet=pet,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: PhotoUploadRequest,
    caption: str | Unset = UNSET,
    pet: int | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Error | Photo | None:
    """Upload a photo directly

     A multipart form with `file` (and optional `pet`, `caption`), or the raw image as the body with
    `?pet=&caption=`. At most PHOTOS_DIRECT_MAX_BYTES (4 MiB by default); larger photos go through `POST
    /v1/photos/uploads`. The image is checked and processed before the answer, so the photo comes back
    `ready`.

    Args:
        caption (str | Unset):
        pet (int | Unset):
        idempotency_key (str | Unset):
        body (PhotoUploadRequest): A direct upload: the file, and optionally the pet it shows and
            a caption.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Photo
    """

    return sync_detailed(
        client=client,
        body=body,
        caption=caption,
        pet=pet,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: PhotoUploadRequest,
    caption: str | Unset = UNSET,
    pet: int | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[Error | Photo]:
    """Upload a photo directly

     A multipart form with `file` (and optional `pet`, `caption`), or the raw image as the body with
    `?pet=&caption=`. At most PHOTOS_DIRECT_MAX_BYTES (4 MiB by default); larger photos go through `POST
    /v1/photos/uploads`. The image is checked and processed before the answer, so the photo comes back
    `ready`.

    Args:
        caption (str | Unset):
        pet (int | Unset):
        idempotency_key (str | Unset):
        body (PhotoUploadRequest): A direct upload: the file, and optionally the pet it shows and
            a caption.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Photo]
    """

    kwargs = _get_kwargs(
        body=body,
        caption=caption,
        pet=pet,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: PhotoUploadRequest,
    caption: str | Unset = UNSET,
    pet: int | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Error | Photo | None:
    """Upload a photo directly

     A multipart form with `file` (and optional `pet`, `caption`), or the raw image as the body with
    `?pet=&caption=`. At most PHOTOS_DIRECT_MAX_BYTES (4 MiB by default); larger photos go through `POST
    /v1/photos/uploads`. The image is checked and processed before the answer, so the photo comes back
    `ready`.

    Args:
        caption (str | Unset):
        pet (int | Unset):
        idempotency_key (str | Unset):
        body (PhotoUploadRequest): A direct upload: the file, and optionally the pet it shows and
            a caption.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Photo
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            caption=caption,
            pet=pet,
            idempotency_key=idempotency_key,
        )
    ).parsed
