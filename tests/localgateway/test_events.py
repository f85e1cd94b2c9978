"""The events rungateway builds have the shape of real HTTP API payload-2.0 events."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from localgateway.events import Request, build_event, clf_time, event_size, join_headers

REAL = json.loads(
    (
        Path(__file__).parents[1] / "fixtures/aws-events/apigw-v2-request-no-authorizer.json"
    ).read_text()
)


def make_request(**changes: object) -> Request:
    fields: dict[str, object] = {
        "method": "GET",
        "raw_path": "/",
        "raw_query": "",
        "headers": [("Host", "127.0.0.1:3000"), ("User-Agent", "curl/8.0"), ("Accept", "*/*")],
        "body": b"",
        "source_ip": "203.0.113.9",
        "scheme": "http",
        "port": 3000,
    } | changes
    return Request(**fields)  # type: ignore[arg-type]


def event_for(request: Request, **kwargs: object) -> dict[str, object]:
    options: dict[str, object] = {
        "stage": "$default",
        "route_key": "$default",
        "path_parameters": {},
        "stage_variables": {},
    } | kwargs
    return build_event(request, **options)  # type: ignore[arg-type]


def test_same_keys_as_a_real_event() -> None:
    event = event_for(make_request())

    assert set(event) == set(REAL)
    real_context = set(REAL["requestContext"]) - {"authentication"}  # mTLS only
    assert set(event["requestContext"]) == real_context
    assert set(event["requestContext"]["http"]) == set(REAL["requestContext"]["http"])
    for key in ("x-amzn-trace-id", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"):
        assert key in event["headers"]


def test_header_names_lower_case_and_duplicates_comma_joined() -> None:
    request = make_request(
        headers=[("Host", "h"), ("X-Thing", "a"), ("x-thing", "b"), ("Accept", "*/*")]
    )

    headers = event_for(request)["headers"]

    assert headers["x-thing"] == "a,b"
    assert all(name == name.lower() for name in headers)


def test_cookies_become_an_array_and_leave_the_headers() -> None:
    request = make_request(headers=[("Host", "h"), ("Cookie", "a=1; b=2"), ("cookie", "c=3")])

    event = event_for(request)

    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert "cookie" not in event["headers"]


def test_raw_path_is_decoded_the_query_untouched_and_parameters_comma_joined() -> None:
    # HTTP APIs hand the function the path decoded and the query string as sent
    # (live captures: aws/aws-lambda-dotnet#1901, middleapi/standard-server#93).
    request = make_request(raw_path="/prod/v1/pets/a%20b", raw_query="p=a&p=b&q=x%2Cy&empty=")

    event = event_for(request, stage="prod")

    assert event["rawPath"] == "/prod/v1/pets/a b"
    assert event["requestContext"]["http"]["path"] == "/prod/v1/pets/a b"
    assert event["rawQueryString"] == "p=a&p=b&q=x%2Cy&empty="
    assert event["queryStringParameters"] == {"p": "a,b", "q": "x,y", "empty": ""}


def test_absent_parts_are_left_out() -> None:
    event = event_for(make_request())

    for key in ("cookies", "queryStringParameters", "body", "pathParameters", "stageVariables"):
        assert key not in event
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ("application/json", False),
        ("application/json; charset=utf-8", False),
        ("text/plain", False),
        ("application/xml", False),
        ("application/javascript", False),
        ("multipart/form-data; boundary=x", True),
        ("application/x-www-form-urlencoded", True),
        ("image/jpeg", True),
        ("application/octet-stream", True),
        (None, True),
    ],
)
def test_body_base64_unless_text(content_type: str | None, encoded: bool) -> None:
    headers = [("Host", "h")] + ([("Content-Type", content_type)] if content_type else [])
    event = event_for(make_request(method="POST", headers=headers, body=b'{"a": 1}'))

    assert event["isBase64Encoded"] is encoded
    body = base64.b64decode(event["body"]) if encoded else event["body"].encode()
    assert body == b'{"a": 1}'


def test_text_body_that_is_not_utf8_is_base64() -> None:
    event = event_for(
        make_request(method="POST", headers=[("Content-Type", "text/plain")], body=b"\xff\xfe")
    )

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\xfe"


def test_request_context_formats() -> None:
    request = make_request(epoch_ms=1587481701067)

    context = event_for(request, stage="prod", route_key="ANY /{proxy+}")["requestContext"]

    assert context["time"] == "21/Apr/2020:15:08:21 +0000"
    assert context["timeEpoch"] == 1587481701067
    assert len(str(context["timeEpoch"])) == 13  # milliseconds, not seconds
    assert context["stage"] == "prod"
    assert context["routeKey"] == "ANY /{proxy+}"
    assert context["http"]["sourceIp"] == "203.0.113.9"  # no "/32"
    assert context["http"]["userAgent"] == "curl/8.0"
    assert context["domainName"] == "127.0.0.1"
    assert re.fullmatch(r"[A-Za-z0-9_-]{14}==", context["requestId"])


def test_route_key_at_both_levels_and_path_parameters() -> None:
    event = event_for(
        make_request(raw_path="/v1/pets"),
        route_key="ANY /{proxy+}",
        path_parameters={"proxy": "v1/pets"},
    )

    assert event["routeKey"] == event["requestContext"]["routeKey"] == "ANY /{proxy+}"
    assert event["pathParameters"] == {"proxy": "v1/pets"}


def test_forwarded_headers_added_and_client_chain_kept() -> None:
    request = make_request(headers=[("Host", "h"), ("X-Forwarded-For", "198.51.100.1")])

    headers = event_for(request)["headers"]

    assert headers["x-forwarded-for"] == "198.51.100.1, 203.0.113.9"
    assert headers["x-forwarded-port"] == "3000"
    assert headers["x-forwarded-proto"] == "http"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["x-amzn-trace-id"])


def test_clf_time() -> None:
    assert clf_time(0) == "01/Jan/1970:00:00:00 +0000"


def test_event_size_counts_the_json_payload() -> None:
    event = event_for(
        make_request(method="POST", headers=[("Content-Type", "image/png")], body=b"x" * 3000)
    )

    assert 4000 < event_size(event) < 5000


def test_join_headers() -> None:
    assert join_headers([("A", "1"), ("a", "2"), ("B", "3")]) == {"a": "1,2", "b": "3"}
