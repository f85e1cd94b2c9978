from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.photo_upload_start_request import PhotoUploadStartRequest
from ...models.photo_upload_start_response import PhotoUploadStartResponse
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: PhotoUploadStartRequest,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/photos/uploads",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | PhotoUploadStartResponse | None:
    if response.status_code == 201:
        response_201 = PhotoUploadStartResponse.from_dict(response.json())

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
) -> Response[Error | PhotoUploadStartResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: PhotoUploadStartRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Error | PhotoUploadStartResponse]:
    """Start a large upload

     Creates the photo as `pending_upload` and returns a presigned form: POST `upload.fields` and then
    `file` as multipart/form-data to `upload.url` before `upload.expires_at`. The photo is processed
    when the upload lands.

    Args:
        idempotency_key (str | Unset):
        body (PhotoUploadStartRequest): What the client will upload; the server picks where it
            goes.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PhotoUploadStartResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: PhotoUploadStartRequest,
    idempotency_key: str | Unset = UNSET,
) -> Error | PhotoUploadStartResponse | None:
    """Start a large upload

     Creates the photo as `pending_upload` and returns a presigned form: POST `upload.fields` and then
    `file` as multipart/form-data to `upload.url` before `upload.expires_at`. The photo is processed
    when the upload lands.

    Args:
        idempotency_key (str | Unset):
        body (PhotoUploadStartRequest): What the client will upload; the server picks where it
            goes.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PhotoUploadStartResponse
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: PhotoUploadStartRequest,
    idempotency_key: str | Unset = UNSET,
) -> Response[Error | PhotoUploadStartResponse]:
    """Start a large upload

     Creates the photo as `pending_upload` and returns a presigned form: POST `upload.fields` and then
    `file` as multipart/form-data to `upload.url` before `upload.expires_at`. The photo is processed
    when the upload lands.

    Args:
        idempotency_key (str | Unset):
        body (PhotoUploadStartRequest): What the client will upload; the server picks where it
            goes.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | PhotoUploadStartResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: PhotoUploadStartRequest,
    idempotency_key: str | Unset = UNSET,
) -> Error | PhotoUploadStartResponse | None:
    """Start a large upload

     Creates the photo as `pending_upload` and returns a presigned form: POST `upload.fields` and then
    `file` as multipart/form-data to `upload.url` before `upload.expires_at`. The photo is processed
    when the upload lands.

    Args:
        idempotency_key (str | Unset):
        body (PhotoUploadStartRequest): What the client will upload; the server picks where it
            goes.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | PhotoUploadStartResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed
