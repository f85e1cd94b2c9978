"""WhiteNoise in a Lambda initialised on demand: imported, built and the static files indexed by
the first request for one, not at init; everywhere else at start, as WhiteNoise does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from apps.common.staticfiles import INITIALIZATION_TYPE, WhiteNoiseMiddleware, deferrable_prefixes

CSS = b"body { color: teal; }\n"


@pytest.fixture
def static_root(settings: Any, tmp_path: Path) -> Path:
    (tmp_path / "admin").mkdir()
    (tmp_path / "admin" / "site.css").write_bytes(CSS)
    settings.STATIC_ROOT = str(tmp_path)
    settings.STATIC_URL = "/static/"
    settings.WHITENOISE_AUTOREFRESH = False
    settings.WHITENOISE_USE_FINDERS = False
    return tmp_path


def _app(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"from the app")


def _files(middleware: WhiteNoiseMiddleware) -> dict[str, Any]:
    """WhiteNoise's index of the static files (it must have been built)."""
    assert middleware.whitenoise is not None
    return dict(middleware.whitenoise.files)  # type: ignore[attr-defined]


def _body(response: Any) -> bytes:
    if not response.streaming:
        return bytes(response.content)
    body = b"".join(response.streaming_content)
    # The file only: response.close() would also signal request_finished (database cleanup).
    response.file_to_stream.close()
    return body


def test_on_demand_init_indexes_nothing_until_a_static_file_is_asked_for(
    static_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(INITIALIZATION_TYPE, "on-demand")
    factory = RequestFactory()

    middleware = WhiteNoiseMiddleware(_app)
    built_at_init = middleware.whitenoise
    api = middleware(factory.get("/v1/pets/1"))
    built_after_api = middleware.whitenoise
    static = middleware(factory.get("/static/admin/site.css"))

    assert built_at_init is built_after_api is None
    assert (api.status_code, _body(api)) == (200, b"from the app")
    assert (static.status_code, _body(static)) == (200, CSS)
    assert static["Content-Type"].startswith("text/css")
    assert list(_files(middleware)) == ["/static/admin/site.css"]


def test_an_unknown_static_path_after_the_index_is_the_app_s_as_before(
    static_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(INITIALIZATION_TYPE, "on-demand")

    middleware = WhiteNoiseMiddleware(_app)
    response = middleware(RequestFactory().get("/static/admin/missing.css"))

    assert _body(response) == b"from the app"
    assert list(_files(middleware)) == ["/static/admin/site.css"]


@pytest.mark.parametrize("initialization", ["snap-start", "provisioned-concurrency", None])
def test_elsewhere_the_files_are_indexed_at_start(
    static_root: Path, monkeypatch: pytest.MonkeyPatch, initialization: str | None
) -> None:
    if initialization is None:
        monkeypatch.delenv(INITIALIZATION_TYPE, raising=False)
    else:
        monkeypatch.setenv(INITIALIZATION_TYPE, initialization)

    middleware = WhiteNoiseMiddleware(_app)

    assert list(_files(middleware)) == ["/static/admin/site.css"]
    response = middleware(RequestFactory().get("/static/admin/site.css"))
    assert _body(response) == CSS


@pytest.mark.parametrize(
    ("overrides", "prefix"),
    [
        ({}, "/static/"),
        ({"STATIC_URL": "https://cdn.example.com/assets/"}, "/assets/"),
        ({"STATIC_URL": "/app/static/", "FORCE_SCRIPT_NAME": "/app"}, "/static/"),
        ({"WHITENOISE_STATIC_PREFIX": "files"}, "/files/"),
    ],
)
def test_on_demand_the_prefix_that_builds_it_is_whitenoise_s_own(
    static_root: Path,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    overrides: dict[str, str],
    prefix: str,
) -> None:
    for name, value in overrides.items():
        setattr(settings, name, value)
    monkeypatch.setenv(INITIALIZATION_TYPE, "on-demand")

    deferred = deferrable_prefixes()
    monkeypatch.delenv(INITIALIZATION_TYPE)
    built = WhiteNoiseMiddleware(_app).whitenoise

    assert deferred == (prefix,)
    assert built is not None
    assert built.static_prefix == prefix  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "overrides",
    [
        {"WHITENOISE_AUTOREFRESH": True},
        {"WHITENOISE_USE_FINDERS": True},
        {"WHITENOISE_ROOT": "static root"},
    ],
)
def test_on_demand_whitenoise_is_built_at_start_when_it_would_not_only_serve_the_index(
    static_root: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any]
) -> None:
    for name, value in overrides.items():
        setattr(settings, name, str(static_root) if value == "static root" else value)
    monkeypatch.setenv(INITIALIZATION_TYPE, "on-demand")

    assert WhiteNoiseMiddleware(_app).whitenoise is not None
