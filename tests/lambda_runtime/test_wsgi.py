"""Bodies, binary responses, uploads, headers, client address and request ids through the
handler, and the WSGI glue on its own."""

from __future__ import annotations

import base64
import gc
import hashlib
import io
import json
import warnings
from typing import Any

import pytest
from django.contrib.staticfiles import finders

from apps.pets.models import Pet
from lambda_runtime.wsgi import call_application, environ_alb, mangum_response, wsgi_path
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import Invoke, body_json
from tests.lambda_runtime.urls_echo import BINARY_BODY

pytestmark = pytest.mark.django_db

PHOTO = bytes(range(256)) * 800 + b"\r\n--not-a-boundary\r\n\x00\xff"  # 204,818 bytes


def multipart(boundary: str, fields: dict[str, str], files: dict[str, bytes]) -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{k}.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n".encode()
        + data
        + b"\r\n"
        for k, data in files.items()
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_base64_json_body_creates_a_pet(invoke: Invoke, auth_headers, user) -> None:
    body = json.dumps({"name": "Base", "species": "bird"}).encode()
    headers = {"content-type": "application/json", **auth_headers(user)}

    result = invoke(events.http_api(method="POST", headers=headers, body=body))

    assert result["statusCode"] == 201, result["body"]
    assert Pet.objects.get().name == "Base"


@pytest.mark.parametrize("front_door", ["http_api", "rest"])
def test_multipart_upload_arriving_base64_without_content_length(
    invoke: Invoke, front_door: str
) -> None:
    boundary = "----formboundary7MA4YWxkTrZu0gW"
    body = multipart(boundary, {"caption": "Rex at the beach"}, {"file": PHOTO})
    content_type = f"multipart/form-data; boundary={boundary}"
    if front_door == "rest":
        event = events.rest(
            method="POST",
            path="/v1/echo/upload",
            body=body,
            headers={"Content-Type": [content_type]},
        )
    else:
        event = events.http_api(
            method="POST", path="/v1/echo/upload", body=body, headers={"content-type": content_type}
        )
        event["headers"].pop("content-length")  # The sample had one; gateways often don't.

    seen = body_json(invoke(event))

    assert seen["files"] == {
        "file": {
            "name": "file.jpg",
            "size": len(PHOTO),
            "sha256": hashlib.sha256(PHOTO).hexdigest(),
        }
    }
    assert seen["fields"] == {"caption": ["Rex at the beach"]}
    assert seen["meta"]["CONTENT_LENGTH"] == str(len(body))


def test_without_a_content_length_django_would_see_no_files() -> None:
    """Why the adapter computes CONTENT_LENGTH: the trap it avoids (mangum#310)."""
    boundary = "b0undary"
    body = multipart(boundary, {}, {"file": PHOTO})
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/v1/echo/upload",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "443",
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
    }
    from django.core.handlers.wsgi import WSGIRequest

    assert dict(WSGIRequest(environ).FILES) == {}


def test_a_gateway_content_length_is_replaced_by_the_decoded_length(invoke: Invoke) -> None:
    event = events.http_api(
        method="POST",
        path="/v1/echo",
        body=b"\x00\x01\x02\x03",
        headers={"content-type": "application/octet-stream", "content-length": "8"},
    )

    seen = body_json(invoke(event))

    assert seen["body_length"] == 4
    assert seen["meta"]["CONTENT_LENGTH"] == "4"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("rest_framework/img/grid.png", "image/png"),
        ("rest_framework/fonts/glyphicons-halflings-regular.woff", "application/font-woff"),
    ],
)
def test_static_binary_files_are_returned_base64(
    invoke: Invoke, path: str, content_type: str
) -> None:
    expected = open(finders.find(path), "rb").read()  # noqa: SIM115 (closed below)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        result = invoke(events.http_api(path=f"/static/{path}"))
        gc.collect()

    assert result["statusCode"] == 200
    assert result["headers"]["content-type"] == content_type
    assert result["isBase64Encoded"] is True
    assert base64.b64decode(result["body"]) == expected
    # WhiteNoise streams an open file: the adapter must close the response.
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_binary_view_responses_are_returned_base64_for_every_front_door(invoke: Invoke) -> None:
    for event in (
        events.http_api(path="/v1/echo/binary"),
        events.rest(path="/v1/echo/binary"),
        events.alb(path="/v1/echo/binary"),
    ):
        result = invoke(event)
        assert result["isBase64Encoded"] is True
        assert base64.b64decode(result["body"]) == BINARY_BODY


def test_head_request_has_headers_and_no_body(invoke: Invoke) -> None:
    result = invoke(events.http_api(method="HEAD", path="/health"))

    assert result["statusCode"] == 200
    assert result["body"] == ""


def test_header_names_of_any_case_reach_django(invoke: Invoke) -> None:
    rest = body_json(invoke(events.rest(path="/v1/echo")))
    v2 = body_json(invoke(events.http_api(events.V2_JWT, path="/v1/echo")))

    # REST keeps the client's casing ("headerName", "X-Forwarded-For"); so did this v2 sample.
    assert rest["meta"]["HTTP_HEADERNAME"] == "headerValue"
    assert rest["headers"]["Headername"] == "headerValue"
    assert rest["meta"]["HTTP_X_FORWARDED_FOR"] == "54.240.196.186, 54.182.214.83"
    assert v2["meta"]["HTTP_HEADER1"] == "value1"


def test_headers_with_underscores_are_dropped(invoke: Invoke) -> None:
    event = events.http_api(path="/v1/echo", headers={"x_forwarded_proto": "http"})

    seen = body_json(invoke(event))

    assert seen["scheme"] == "https"
    assert "HTTP_X_FORWARDED_PROTO" in seen["meta"]  # the gateway's own, untouched
    assert seen["meta"]["HTTP_X_FORWARDED_PROTO"] == "https"


def test_forwarded_headers_and_source_ip(invoke: Invoke) -> None:
    seen = body_json(invoke(events.http_api(path="/v1/echo")))
    powertools = body_json(invoke(events.http_api(events.V2_POWERTOOLS, path="/v1/echo")))

    assert seen["remote_addr"] == "1.2.3.4"
    assert seen["scheme"] == "https"
    assert seen["host"] == "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com"
    assert seen["absolute_uri"] == "https://aaaaaaaaaa.execute-api.us-west-2.amazonaws.com/v1/echo"
    assert seen["meta"]["HTTP_X_FORWARDED_PORT"] == "443"
    assert powertools["remote_addr"] == "192.168.0.1"  # the sample's "/32" is dropped


def test_request_ids_reach_the_client_and_the_log(
    invoke: Invoke, json_log: list[dict[str, Any]]
) -> None:
    event = events.http_api(path="/health", headers={"x-request-id": "client-chosen"})

    result = invoke(event)

    assert result["headers"]["x-request-id"] == "LV7fzho-PHcEJPw="
    assert len(json_log) == 1
    metrics = {"Route", "Requests", "Latency", "Errors4xx", "Errors5xx", "DBQueries", "DBTime"}
    assert {key: value for key, value in json_log[0].items() if key not in metrics} == {
        "timestamp": json_log[0]["timestamp"],
        "level": "INFO",
        "logger": "gatewayproject.request",
        "message": "request",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",  # Lambda's request id
        "gatewayRequestId": "LV7fzho-PHcEJPw=",
        # The event's X-Amzn-Trace-Id: no _X_AMZN_TRACE_ID outside Lambda.
        "xrayTraceId": "1-5e9f0c65-1de4d666d4dd26aced652b6c",
        "method": "GET",
        "path": "/health",
        "status": 200,
        "durationMs": json_log[0]["durationMs"],
        "_aws": json_log[0]["_aws"],  # the metrics (tests/common/test_metrics.py)
    }


def test_the_api_key_prefix_is_logged_when_authentication_sets_one(
    invoke: Invoke, json_log: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.common.views import HealthView

    original = HealthView.get

    def get(self: HealthView, request: Any) -> Any:
        request._request.api_key_prefix = "AbCd1234"
        return original(self, request)

    monkeypatch.setattr(HealthView, "get", get)

    invoke(events.http_api(path="/health"))

    assert json_log[-1]["keyPrefix"] == "AbCd1234"


def test_percent_encoded_paths_are_decoded_as_wsgi_requires(invoke: Invoke) -> None:
    # Function URLs (like REST APIs and ALBs) deliver the path as the client sent it.
    utf8 = body_json(invoke(events.function_url(path="/v1/echo/caf%C3%A9%20au%2Flait")))
    invalid = body_json(invoke(events.function_url(path="/v1/echo/%FF")))

    assert utf8["path_info"] == "/v1/echo/café au/lait"
    assert invalid["path_info"] == "/v1/echo/%FF"  # Django re-quotes bytes that are not UTF-8


def test_http_api_paths_arrive_decoded_and_are_not_decoded_twice(invoke: Invoke) -> None:
    # A client's "/v1/echo/100%2541" reaches the function as "/v1/echo/100%41"; decoding
    # that again would make it "/v1/echo/100A".
    literal = body_json(invoke(events.http_api(path="/v1/echo/100%41")))
    unicode = body_json(invoke(events.http_api(path="/v1/echo/café au lait")))

    assert literal["path_info"] == "/v1/echo/100%41"
    assert unicode["path_info"] == "/v1/echo/café au lait"


def test_non_ascii_header_values_arrive_intact(invoke: Invoke) -> None:
    seen = body_json(invoke(events.http_api(path="/v1/echo", headers={"x-note": "café ☕"})))

    # PEP 3333: header values are latin-1 strings carrying the bytes the client sent.
    assert seen["meta"]["HTTP_X_NOTE"].encode("latin-1").decode() == "café ☕"


def _environ(headers: list[list[bytes]], method: str = "GET") -> dict[str, Any]:
    """An ALB event with multi-value headers: the one front door that repeats headers."""
    multi: dict[str, list[str]] = {"host": ["example.com"], "x-forwarded-for": ["1.2.3.4"]}
    for name, value in headers:
        multi.setdefault(name.decode(), []).append(value.decode())
    event = {"httpMethod": method, "path": "/", "multiValueHeaders": multi}
    return environ_alb(event, b"body")


def test_build_environ_joins_repeated_headers() -> None:
    environ = _environ(
        [[b"accept", b"a"], [b"accept", b"b"], [b"cookie", b"x=1"], [b"cookie", b"y=2"]]
    )

    assert environ["HTTP_ACCEPT"] == "a,b"
    assert environ["HTTP_COOKIE"] == "x=1; y=2"
    assert environ["CONTENT_LENGTH"] == "4"
    assert environ["wsgi.input"].read() == b"body"


def test_wsgi_path_tunnels_utf8_bytes_through_latin1() -> None:
    assert wsgi_path("/caf%C3%A9") == "/caf\xc3\xa9"
    # Unencoded non-ASCII in the event: its UTF-8 bytes, as if the client had encoded them.
    assert wsgi_path("/café") == "/caf\xc3\xa9"


def test_call_application_collects_written_and_iterated_chunks_and_closes() -> None:
    closed = []

    class Body(list[bytes]):
        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        write = start_response("201 Created", [("X-Test", "é")])
        write(b"written,")
        return Body([b"iterated"])

    response = call_application(app, _environ([]))

    assert response == {
        "status": 201,
        "headers": [("X-Test", "é")],
        "body": b"written,iterated",
    }
    assert closed == [True]
    # As Mangum's handlers read it (the ALB's shaping): UTF-8 bytes.
    assert mangum_response(response)["headers"] == [[b"X-Test", "é".encode()]]
