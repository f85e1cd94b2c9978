"""The URLconf: every API route hangs off /v1/ one include deep, with its documented name."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLResolver, get_resolver, resolve, reverse

from apps.common.deferral import AppPrefix, app_urls
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


def _app_resolvers() -> list[URLResolver]:
    return [
        resolver
        for resolver in get_resolver().url_patterns
        if isinstance(resolver, URLResolver) and isinstance(resolver.pattern, AppPrefix)
    ]


def test_every_route_of_an_app_starts_with_one_of_its_heads() -> None:
    # A path that does not is never routed: its app's /v1/ does not open for it.
    resolvers = _app_resolvers()

    assert {resolver.namespace for resolver in resolvers} == {
        "pets",
        "api_keys",
        "photos",
        "realtime",
    }
    for resolver in resolvers:
        assert isinstance(resolver.pattern, AppPrefix)
        for pattern in resolver.url_patterns:
            assert str(pattern.pattern).lstrip("^").startswith(resolver.pattern.heads), pattern


@pytest.mark.parametrize(
    ("path", "rest"),
    [("v1/pets/7", "pets/7"), ("v1/pets", "pets"), ("v1/usage", None), ("admin/pets", None)],
)
def test_an_app_prefix_matches_only_its_apps_paths(path: str, rest: str | None) -> None:
    found = AppPrefix("v1/", ("pets",)).match(path)

    assert (found[0] if found else None) == rest


def test_an_apps_urlconf_must_name_the_app_it_is_included_as() -> None:
    with pytest.raises(ValueError, match="app_name is 'pets', not 'photos'"):
        app_urls("v1/", ("pets",), "apps.pets.urls", "photos")


@pytest.mark.parametrize(
    ("debug", "media_url", "served"),
    [(True, "/media/", True), (False, "/media/", False), (True, "https://cdn.example/m/", False)],
)
def test_local_media_files_are_routed_only_while_debug_is_on(
    settings: Any, debug: bool, media_url: str, served: bool
) -> None:
    from gatewayproject.urls import _media_files

    settings.DEBUG, settings.MEDIA_URL = debug, media_url

    patterns = _media_files()

    assert bool(patterns) is served
    assert not served or patterns[0].resolve("media/a.jpg") is not None
