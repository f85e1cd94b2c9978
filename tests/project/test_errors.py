"""Every error outside the admin is JSON {"message": ...}, with DEBUG on or off."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.common.errors import flatten_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request: pytest.FixtureRequest, settings) -> bool:
    settings.DEBUG = request.param
    return bool(request.param)


@pytest.mark.urls("tests.project.urls_boom")
@pytest.mark.parametrize("path", ["/v1/boom", "/v1/plain-boom"])
def test_unhandled_exception_is_json_500_with_traceback_logged(
    debug: bool, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(raise_request_exception=False)

    with caplog.at_level(logging.ERROR):
        response = client.get(path)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": "Internal Server Error"}
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1, [record.getMessage() for record in errors]
    assert errors[0].exc_info is not None
    assert "kaboom" in str(errors[0].exc_info[1])


@pytest.mark.parametrize("path", ["/does-not-exist", "/v1/does-not-exist", "/v1/pets/abc"])
def test_unknown_route_is_json_404(debug: bool, path: str) -> None:
    response = Client().get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    # Byte for byte API Gateway's body (and DRF's): compact, no spaces.
    assert response.content == b'{"message":"Not Found"}'


def test_admin_keeps_html_errors(debug: bool) -> None:
    response = Client().get("/admin/")

    assert response.status_code == 302  # to the login page, as Django's admin does


def test_csrf_failure_is_json_403(user) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post("/v1/pets", {"name": "Rex", "species": "dog"}, format="json")

    assert response.status_code == 403
    assert response.json()["message"].startswith("CSRF Failed")


def test_health_rejects_other_methods_as_json_405() -> None:
    response = Client().post("/health")

    assert response.status_code == 405
    assert response.json() == {"message": 'Method "POST" not allowed.'}


def test_error_shape_has_only_message_and_errors(api: APIClient) -> None:
    response = api.post("/v1/pets", {"name": ""}, format="json")

    assert set(response.json()) == {"message", "errors"}
    for messages in response.json()["errors"].values():
        assert isinstance(messages, list)
        assert all(isinstance(message, str) for message in messages)


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        ({"name": ["bad"]}, {"name": ["bad"]}),
        (["whole object bad"], {"non_field_errors": ["whole object bad"]}),
        ("single", {"non_field_errors": ["single"]}),
        ({"address": {"city": ["required"]}}, {"address.city": ["required"]}),
        ({"items": [{}, {"qty": ["too many"]}]}, {"items.1.qty": ["too many"]}),
        ({"name": []}, {}),
    ],
)
def test_flatten_errors(detail: object, expected: dict[str, list[str]]) -> None:
    assert flatten_errors(detail) == expected


def test_json_error_body_is_valid_json_for_html_rewrites(debug: bool) -> None:
    response = Client().get("/nope/")

    assert json.loads(response.content) == {"message": "Not Found"}


@pytest.mark.parametrize("path", ["/v1/pets", "/v1/pets/999999"])
def test_errors_are_json_even_for_a_browser(path: str, api: APIClient) -> None:
    anonymous = Client().get(path, HTTP_ACCEPT="text/html")
    keyed = api.get("/v1/pets/999999", HTTP_ACCEPT="text/html,application/xhtml+xml")

    assert anonymous.status_code == 403
    assert anonymous["Content-Type"] == "application/json"
    assert anonymous.json() == {"message": "Forbidden"}
    assert keyed.status_code == 404
    assert keyed.json() == {"message": "Not Found"}


def test_rewritten_html_errors_have_a_matching_content_length(debug: bool) -> None:
    response = Client().get("/v1/nothing-here")

    assert response.json() == {"message": "Not Found"}
    if response.has_header("Content-Length"):
        assert int(response["Content-Length"]) == len(response.content)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [*_strings(k), *_strings(v)]]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


@pytest.mark.parametrize(
    ("method", "path", "body", "echo"),
    [
        ("get", "/v1/pets?species=a%00b", None, "a\\u0000b"),
        ("get", "/v1/pets?species=a%1bb", None, "a\\u001bb"),
        ("get", "/v1/pets?species=%c2%85x", None, "\\u0085x"),
        ("post", "/v1/pets", {"name": "Rex", "species": "a\x01b"}, "a\\u0001b"),
    ],
    ids=["nul", "escape", "c1-next-line", "json-body"],
)
def test_control_characters_echoed_in_errors_are_escaped(
    api: APIClient, method: str, path: str, body: object, echo: str
) -> None:
    response = getattr(api, method)(path, body, format="json")
    document = APIClient().get("/v1/openapi.json").json()
    pattern = document["components"]["schemas"]["Error"]["properties"]["message"]["pattern"]

    assert response.status_code == 400
    strings = _strings(response.json())
    assert any(echo in s for s in strings), strings  # still says what was sent
    assert not [s for s in strings if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in s)]
    assert re.fullmatch(pattern, response.json()["message"])
    for messages in response.json()["errors"].values():
        assert all(re.fullmatch(pattern, m) for m in messages)
