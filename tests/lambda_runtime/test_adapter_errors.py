"""Bad input: clear 4xx answers in the one error shape, a logged reason, and no crash loop."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from apps.pets.models import Pet
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import Invoke, body_json

pytestmark = pytest.mark.django_db


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        ('{"name": "Rex", "species": ', "application/json", 400),  # truncated
        ("name=Rex&species=dog", "application/json", 400),  # not JSON
        ("", "application/json", 400),  # empty
        ('{"name": "Rex", "species": "dog"}', "text/plain", 415),
    ],
)
def test_bad_bodies_get_the_apis_normal_errors(
    invoke: Invoke, auth_headers, user, body: str, content_type: str, status: int
) -> None:
    headers = {"content-type": content_type, **auth_headers(user)}

    result = invoke(events.http_api(method="POST", headers=headers, body=body))

    assert result["statusCode"] == status
    assert isinstance(body_json(result)["message"], str)
    assert not Pet.objects.exists()


def test_invalid_base64_body_is_a_400(invoke: Invoke, caplog: pytest.LogCaptureFixture) -> None:
    event = events.http_api(method="POST", headers={"content-type": "application/json"})
    event["body"] = "not base64 at all!"
    event["isBase64Encoded"] = True

    result = invoke(event)

    assert result["statusCode"] == 400
    assert body_json(result) == {"message": "Request body is not valid base64."}
    assert result["headers"]["x-request-id"] == "LV7fzho-PHcEJPw="


def test_base64_with_stray_characters_is_refused_not_guessed(invoke: Invoke) -> None:
    event = events.http_api(method="POST", path="/v1/echo", body=b"abc")
    event["body"] = event["body"][:2] + "*" + event["body"][2:]

    assert invoke(event)["statusCode"] == 400


@pytest.mark.parametrize(
    ("name", "event"),
    [
        ("empty object", {}),
        ("list", [1, 2]),
        ("string", "version requestContext"),
        ("null", None),
        ("S3 notification", events.load("s3-event.json")),
        ("WebSocket message", events.load("apigw-websocket-request.json")),
        ("authorizer input", events.load("apigw-v2-custom-authorizer-v2-request.json")),
        ("warm-up ping", {"source": "serverless-plugin-warmup"}),
        ("odd records", {"Records": ["x"]}),
        ("SNS records", {"Records": [{"EventSource": "aws:sns"}]}),
        ("context not an object", {"version": "2.0", "requestContext": "x"}),
        ("ALB trace header not a list", {"multiValueHeaders": {"x-amzn-trace-id": "Root=1"}}),
    ],
)
def test_unknown_event_shapes_are_refused_clearly(
    invoke: Invoke, caplog: pytest.LogCaptureFixture, name: str, event: Any
) -> None:
    result = invoke(event)

    assert result["statusCode"] == 400
    assert body_json(result) == {"message": "Unsupported event"}
    errors = _errors(caplog)
    assert len(errors) == 1
    assert errors[0].startswith("Unsupported event: ")


def test_s3_events_are_named_in_the_log(invoke: Invoke, caplog: pytest.LogCaptureFixture) -> None:
    invoke(events.load("s3-event.json"))

    assert "records from aws:s3" in _errors(caplog)[0]


def _broken(change: str) -> dict[str, Any]:
    event = events.http_api(path="/v1/echo")
    if change == "no http":
        del event["requestContext"]["http"]
    elif change == "null headers":
        event["headers"] = None
    elif change == "number header":
        event["headers"]["x-number"] = 42
    elif change == "lone surrogate":
        event["headers"]["x-bad"] = "\udcff"
    elif change == "object body":
        event["body"] = {"name": "Rex"}
    elif change == "path not a string":
        event["requestContext"]["http"]["path"] = ["v1"]
    return event


@pytest.mark.parametrize(
    "change",
    [
        "no http",
        "null headers",
        "number header",
        "lone surrogate",
        "object body",
        "path not a string",
    ],
)
def test_malformed_http_events_are_a_400(
    invoke: Invoke, caplog: pytest.LogCaptureFixture, change: str
) -> None:
    result = invoke(_broken(change))

    assert result["statusCode"] == 400
    assert body_json(result) == {"message": "Malformed request event"}
    assert any("Malformed" in message for message in _errors(caplog))


def test_malformed_alb_event_answers_in_multi_value_headers(invoke: Invoke) -> None:
    event = events.alb(path="/v1/echo")
    event["multiValueHeaders"]["x-number"] = [42]

    result = invoke(event)

    assert result["statusCode"] == 400
    assert result["multiValueHeaders"]["content-type"] == ["application/json"]


def test_a_bad_event_does_not_break_the_next_one(invoke: Invoke) -> None:
    for bad in ({}, _broken("no http"), _broken("lone surrogate")):
        assert invoke(bad)["statusCode"] == 400

    assert invoke(events.http_api(path="/health"))["statusCode"] == 200


def test_an_unexpected_failure_is_a_logged_500(
    invoke: Invoke, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambda_runtime import adapter as lambda_adapter

    def explode(app: Any, environ: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(lambda_adapter, "call_application", explode)

    result = invoke(events.http_api(path="/health"))

    assert result["statusCode"] == 500
    assert body_json(result) == {"message": "Internal Server Error"}
    record = next(r for r in caplog.records if r.levelno == logging.ERROR)
    assert record.exc_info is not None


def test_a_view_error_is_a_500_with_traceback_at_error(
    invoke: Invoke, json_log: list[dict[str, Any]], settings: Any
) -> None:
    settings.ROOT_URLCONF = "tests.project.urls_boom"

    result = invoke(events.http_api(path="/v1/boom"))

    assert result["statusCode"] == 500
    assert body_json(result) == {"message": "Internal Server Error"}
    errors = [line for line in json_log if line["level"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["errorType"] == "BoomError"
    assert any("kaboom" in frame for frame in errors[0]["stackTrace"])
    assert errors[0]["requestId"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert errors[0]["gatewayRequestId"] == "LV7fzho-PHcEJPw="
    assert [line["status"] for line in json_log if line["level"] == "INFO"] == [500]
