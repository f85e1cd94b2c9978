from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.list_pets_ordering_item import (
    ListPetsOrderingItem,
)
from ...models.paginated_pet_list import PaginatedPetList
from ...models.species_enum import SpeciesEnum
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    ordering: list[ListPetsOrderingItem] | Unset = UNSET,
    page: int | Unset = UNSET,
    page_size: int | Unset = UNSET,
    search: str | Unset = UNSET,
    species: SpeciesEnum | Unset = UNSET,
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

    params["search"] = search

    json_species: str | Unset = UNSET
    if not isinstance(species, Unset):
        json_species = species

    params["species"] = json_species

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/pets",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | Error | PaginatedPetList | None:
    if response.status_code == 200:
        response_200 = PaginatedPetList.from_dict(response.json())

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
) -> Response[Any | Error | PaginatedPetList]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    ordering: list[ListPetsOrderingItem] | Unset = UNSET,
    page: int | Unset = UNSET,
    page_size: int | Unset = UNSET,
    search: str | Unset = UNSET,
    species: SpeciesEnum | Unset = UNSET,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
) -> Response[Any | Error | PaginatedPetList]:
    """List your pets

     A page of the caller's pets.

    Args:
        ordering (list[ListPetsOrderingItem] | Unset):
        page (int | Unset):
        page_size (int | Unset):
        search (str | Unset):
        species (SpeciesEnum | Unset): * `dog` - Dog
            * `cat` - Cat
            * `bird` - Bird
            * `fish` - Fish
            * `rabbit` - Rabbit
            * `rodent` - Rodent
            * `reptile` - Reptile
            * `other` - Other
        if_match (str | Unset):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error | PaginatedPetList]
    """

    kwargs = _get_kwargs(
        ordering=ordering,
        page=page,
        page_size=page_size,
        search=search,
        species=species,
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
    ordering: list[ListPetsOrderingItem] | Unset = UNSET,
    page: int | Unset = UNSET,
    page_size: int | Unset = UNSET,
    search: str | Unset = UNSET,
    species: SpeciesEnum | Unset = UNSET,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
) -> Any | Error | PaginatedPetList | None:
    """List your pets

     A page of the caller's pets.

    Args:
        ordering (list[ListPetsOrderingItem] | Unset):
        page (int | Unset):
        page_size (int | Unset):
        search (str | Unset):
        species (SpeciesEnum | Unset): * `dog` - Dog
            * `cat` - Cat
            * `bird` - Bird
            * `fish` - Fish
            * `rabbit` - Rabbit
            * `rodent` - Rodent
            * `reptile` - Reptile
            * `other` - Other
        if_match (str | Unset):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error | PaginatedPetList
    """

    return sync_detailed(
        client=client,
        ordering=ordering,
        page=page,
        page_size=page_size,
        search=search,
        species=species,
        if_match=if_match,
        if_none_match=if_none_match,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    ordering: list[ListPetsOrderingItem] | Unset = UNSET,
    page: int | Unset = UNSET,
    page_size: int | Unset = UNSET,
    search: str | Unset = UNSET,
    species: SpeciesEnum | Unset = UNSET,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
) -> Response[Any | Error | PaginatedPetList]:
    """List your pets

     A page of the caller's pets.

    Args:
        ordering (list[ListPetsOrderingItem] | Unset):
        page (int | Unset):
        page_size (int | Unset):
        search (str | Unset):
        species (SpeciesEnum | Unset): * `dog` - Dog
            * `cat` - Cat
            * `bird` - Bird
            * `fish` - Fish
            * `rabbit` - Rabbit
            * `rodent` - Rodent
            * `reptile` - Reptile
            * `other` - Other
        if_match (str | Unset):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | Error | PaginatedPetList]
    """

    kwargs = _get_kwargs(
        ordering=ordering,
        page=page,
        page_size=page_size,
        search=search,
        species=species,
        if_match=if_match,
        if_none_match=if_none_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    ordering: list[ListPetsOrderingItem] | Unset = UNSET,
    page: int | Unset = UNSET,
    page_size: int | Unset = UNSET,
    search: str | Unset = UNSET,
    species: SpeciesEnum | Unset = UNSET,
    if_match: str | Unset = UNSET,
    if_none_match: str | Unset = UNSET,
) -> Any | Error | PaginatedPetList | None:
    """List your pets

     A page of the caller's pets.

    Args:
        ordering (list[ListPetsOrderingItem] | Unset):
        page (int | Unset):
        page_size (int | Unset):
        search (str | Unset):
        species (SpeciesEnum | Unset): * `dog` - Dog
            * `cat` - Cat
            * `bird` - Bird
            * `fish` - Fish
            * `rabbit` - Rabbit
            * `rodent` - Rodent
            * `reptile` - Reptile
            * `other` - Other
        if_match (str | Unset):
        if_none_match (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | Error | PaginatedPetList
    """

    return (
        await asyncio_detailed(
            client=client,
            ordering=ordering,
            page=page,
            page_size=page_size,
            search=search,
            species=species,
            if_match=if_match,
            if_none_match=if_none_match,
        )
    ).parsed
