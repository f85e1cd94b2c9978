from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.get_health_deep import GetHealthDeep
from ...models.health import Health
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    deep: GetHealthDeep | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_deep: str | Unset = UNSET
    if not isinstance(deep, Unset):
        json_deep = deep

    params["deep"] = json_deep

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/health",
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | Health | None:
    if response.status_code == 200:
        response_200 = Health.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

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
) -> Response[Error | Health]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    deep: GetHealthDeep | Unset = UNSET,
) -> Response[Error | Health]:
    """Health check

     No authentication. Answers after a real database round trip. With `deep=1` it checks the database,
    the bucket (or media folder) and Redis when configured, each with its time in milliseconds, and
    answers 503 when one fails; that answer is reused for a few seconds (DEEP_HEALTH_CACHE).

    Args:
        deep (GetHealthDeep | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Health]
    """

    kwargs = _get_kwargs(
        deep=deep,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    deep: GetHealthDeep | Unset = UNSET,
) -> Error | Health | None:
    """Health check

     No authentication. Answers after a real database round trip. With `deep=1` it checks the database,
    the bucket (or media folder) and Redis when configured, each with its time in milliseconds, and
    answers 503 when one fails; that answer is reused for a few seconds (DEEP_HEALTH_CACHE).

    Args:
        deep (GetHealthDeep | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Health
    """

    return sync_detailed(
        client=client,
        deep=deep,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    deep: GetHealthDeep | Unset = UNSET,
) -> Response[Error | Health]:
    """Health check

     No authentication. Answers after a real database round trip. With `deep=1` it checks the database,
    the bucket (or media folder) and Redis when configured, each with its time in milliseconds, and
    answers 503 when one fails; that answer is reused for a few seconds (DEEP_HEALTH_CACHE).

    Args:
        deep (GetHealthDeep | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | Health]
    """

    kwargs = _get_kwargs(
        deep=deep,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    deep: GetHealthDeep | Unset = UNSET,
) -> Error | Health | None:
    """Health check

     No authentication. Answers after a real database round trip. With `deep=1` it checks the database,
    the bucket (or media folder) and Redis when configured, each with its time in milliseconds, and
    answers 503 when one fails; that answer is reused for a few seconds (DEEP_HEALTH_CACHE).

    Args:
        deep (GetHealthDeep | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | Health
    """

    return (
        await asyncio_detailed(
            client=client,
            deep=deep,
        )
    ).parsed
