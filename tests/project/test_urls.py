"""The URLconf: every API route hangs off /v1/ one include deep, with its documented name."""

from __future__ import annotations

import pytest
from django.urls import URLResolver, get_resolver, resolve, reverse

from apps.common.metrics import route_label


@pytest.mark.parametrize(
    ("name", "kwargs", "path"),
    [
        ("health", {}, "/health"),
        ("openapi", {}, "/v1/openapi.json"),
        ("docs", {}, "/v1/docs"),
        ("pets:pet-list", {}, "/v1/pets"),
        ("pets:pet-detail", {"pk": 7}, "/v1/pets/7"),
    ],
)
def test_names_reverse_to_their_paths(name: str, kwargs: dict[str, int], path: str) -> None:
    assert reverse(name, kwargs=kwargs) == path


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/v1/pets/7", "GET /v1/pets/{pk}"),
        ("/v1/pets", "GET /v1/pets"),
        ("/v1/openapi.json", "GET /v1/openapi.json"),
        ("/v1/docs/", "GET /v1/docs"),
    ],
)
def test_route_labels_are_the_templates(path: str, label: str) -> None:
    assert route_label("GET", path, resolve(path)) == label


def test_each_apps_routes_are_included_at_the_top_level() -> None:
    # Each resolver level costs every request a match and a ResolverMatch of its own.
    top = {
        resolver.namespace
        for resolver in get_resolver().url_patterns
        if isinstance(resolver, URLResolver) and str(resolver.pattern) == "v1/"
    }

    assert {"pets", "api_keys", "photos", "realtime"} <= top
