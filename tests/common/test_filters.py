"""The project's search filter reads the same terms as DRF's, without its work for no search."""

from __future__ import annotations

import pytest
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from apps.common.filters import StrictSearchFilter


def _request(query: str) -> Request:
    return Request(APIRequestFactory().get(f"/v1/pets{query}"))


@pytest.mark.parametrize(
    "query",
    ["", "?search=", "?other=1", "?search=%20", "?search=rex", "?search=a,b", '?search="a b" c'],
)
def test_search_terms_are_drf_own(query: str) -> None:
    assert StrictSearchFilter().get_search_terms(_request(query)) == list(
        SearchFilter().get_search_terms(_request(query))
    )


def test_no_search_builds_no_field(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a CharField was built for no search")

    monkeypatch.setattr("rest_framework.filters.CharField", refuse)

    assert StrictSearchFilter().get_search_terms(_request("?search=")) == []
    with pytest.raises(AssertionError):
        StrictSearchFilter().get_search_terms(_request("?search=rex"))
