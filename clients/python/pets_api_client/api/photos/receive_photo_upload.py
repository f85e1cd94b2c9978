from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.local_upload_request import LocalUploadRequest
from ...types import Response


def _get_kwargs(
    *,
    body: LocalUploadRequest,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/photos/uploads/local",
    }

    _kwargs["files"] = body.to_multipart()

    headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Error | None:
    if response.status_code == 204:
        response_204 = cast(Any, None)
        return response_204

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Error.from_dict(response.json())

        return response_415

    if 500 <= response.status_code <= 599:
        response_5xx = Error.from_dict(response.json())

        return response_5xx

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Any | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: LocalUploadRequest,
) -> Response[Any | Error]:
    """Receive a presigned upload (local storage only)

     Where `POST /v1/photos/uploads` points when photos are stored on the local filesystem; 404 when
    photos are stored on S3. Answers like S3: 204 when stored; 403 when the policy is invalid, expired
    or already used; 400 when the size is outside the policy's range.

    Args:
        body (LocalUploadRequest): The presigned form, posted to the local endpoint the way S3
            would receive it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    body: LocalUploadRequest,
) -> Any | Error | None:
    """Receive a presigned upload (local storage only)

     Where `POST /v1/photos/uploads` points when photos are stored on the local filesystem; 404 when
    photos are stored on S3. Answers like S3: 204 when stored; 403 when the policy is invalid, expired
    or already used; 400 when the size is outside the policy's range.

    Args:
        body (LocalUploadRequest): The presigned form, posted to the local endpoint the way S3
            would receive it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: LocalUploadRequest,
) -> Response[Any | Error]:
    """Receive a presigned upload (local storage only)

     Where `POST /v1/photos/uploads` points when photos are stored on the local filesystem; 404 when
    photos are stored on S3. Answers like S3: 204 when stored; 403 when the policy is invalid, expired
    or already used; 400 when the size is outside the policy's range.

    Args:
        body (LocalUploadRequest): The presigned form, posted to the local endpoint the way S3
            would receive it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    body: LocalUploadRequest,
) -> Any | Error | None:
    """Receive a presigned upload (local storage only)

     Where `POST /v1/photos/uploads` points when photos are stored on the local filesystem; 404 when
    photos are stored on S3. Answers like S3: 204 when stored; 403 when the policy is invalid, expired
    or already used; 400 when the size is outside the policy's range.

    Args:
        body (LocalUploadRequest): The presigned form, posted to the local endpoint the way S3
            would receive it.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
