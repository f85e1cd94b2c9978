"""WhiteNoise in a Lambda initialised on demand: the static files indexed by the first request
for one, not at init; everywhere else at start, as WhiteNoise does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from apps.common.staticfiles import INITIALIZATION_TYPE, WhiteNoiseMiddleware

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
    indexed_at_init = dict(middleware.files)
    api = middleware(factory.get("/v1/pets/1"))
    indexed_after_api = dict(middleware.files)
    static = middleware(factory.get("/static/admin/site.css"))

    assert indexed_at_init == indexed_after_api == {}
    assert (api.status_code, _body(api)) == (200, b"from the app")
    assert (static.status_code, _body(static)) == (200, CSS)
    assert static["Content-Type"].startswith("text/css")
    assert list(middleware.files) == ["/static/admin/site.css"]


def test_an_unknown_static_path_after_the_index_is_the_app_s_as_before(
    static_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(INITIALIZATION_TYPE, "on-demand")

    middleware = WhiteNoiseMiddleware(_app)
    response = middleware(RequestFactory().get("/static/admin/missing.css"))

    assert _body(response) == b"from the app"
    assert list(middleware.files) == ["/static/admin/site.css"]


@pytest.mark.parametrize("initialization", ["snap-start", "provisioned-concurrency", None])
def test_elsewhere_the_files_are_indexed_at_start(
    static_root: Path, monkeypatch: pytest.MonkeyPatch, initialization: str | None
) -> None:
    if initialization is None:
        monkeypatch.delenv(INITIALIZATION_TYPE, raising=False)
    else:
        monkeypatch.setenv(INITIALIZATION_TYPE, initialization)

    middleware = WhiteNoiseMiddleware(_app)

    assert list(middleware.files) == ["/static/admin/site.css"]
    response = middleware(RequestFactory().get("/static/admin/site.css"))
    assert _body(response) == CSS
