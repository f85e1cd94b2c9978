"""Iterate a list through its `next` links, page by page or item by item."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, Protocol, Self, TypeVar
from urllib.parse import urlsplit

from pets_api.client import ok
from pets_api.errors import NotFound
from pets_api_client import AuthenticatedClient
from pets_api_client.models import Error
from pets_api_client.types import Response

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Page(Protocol[T_co]):
    """What every generated `Paginated...List` model has."""

    @property
    def results(self) -> Sequence[T_co]: ...

    @property
    def next_(self) -> str | None: ...

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self: ...


P = TypeVar("P", bound=Page[Any])
P_co = TypeVar("P_co", bound=Page[Any], covariant=True)


class Pages(Generic[P_co]):
    """The pages of a list: the first from the generated call, then each `next` link (each
    iteration starts again). A `next` page that has gone (404: the list shrank while
    iterating) ends the iteration."""

    def __init__(self, first: Callable[[], P_co], client: AuthenticatedClient) -> None:
        self._first = first
        self._client = client

    def __iter__(self) -> Iterator[P_co]:
        page = self._first()
        yield page
        while (url := page.next_) is not None:
            self._check_same_origin(url)
            try:
                answer = self._client.get_httpx_client().get(url)
            except NotFound:
                return
            page = type(page).from_dict(answer.json())
            yield page

    def items(self: Pages[Page[T]]) -> Iterator[T]:
        """Each result of each page."""
        for page in self:
            yield from page.results

    def _check_same_origin(self, url: str) -> None:
        # The key goes with every request: never follow a link to another host.
        base = self._client.get_httpx_client().base_url
        link = urlsplit(url)
        if (link.scheme, link.netloc) != (base.scheme, base.netloc.decode("ascii")):
            raise ValueError(f"Refusing to follow a next link to another origin: {url}")


def pages(
    fetch: Callable[..., Response[P | Error]], *, client: AuthenticatedClient, **params: Any
) -> Pages[P]:
    """`pages(list_pets.sync_detailed, client=api, species="dog")`, then iterate it, or its
    `.items()`; `params` go to the first call only (the `next` links carry them on)."""
    return Pages(lambda: ok(fetch(client=client, **params).parsed), client)
