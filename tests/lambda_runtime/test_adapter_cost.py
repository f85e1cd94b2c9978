"""The adapter's per-invoke shortcuts (issue 13, point 1) change nothing a request sees: the
front door is the one Mangum's infer() picks, the paths, ports and status codes are what the
long way gives, the memos stay bounded; and the work they save stays saved."""

from __future__ import annotations

import copy
import itertools
import json
import os
import sys
from types import FrameType
from typing import Any

import pytest
from mangum.handlers import ALB, APIGateway, HTTPGateway

from lambda_runtime import adapter as lambda_adapter
from lambda_runtime import wsgi
from lambda_runtime.adapter import (
    LambdaWSGIAdapter,
    UnsupportedEventError,
    _is_http_proxy_event,
)
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import Invoke, LambdaContext

CONFIG = {"api_gateway_base_path": "/", "text_mime_types": [], "exclude_headers": []}


def _adapter(app: Any = None) -> LambdaWSGIAdapter:
    return LambdaWSGIAdapter(app or (lambda environ, start_response: []))


def _mangums_choice(event: dict[str, Any]) -> type | None:
    """Mangum's own inference: its built-in handlers in its order, first match wins."""
    for cls in (ALB, HTTPGateway, APIGateway):
        if cls.infer(event, LambdaContext(), CONFIG):  # type: ignore[arg-type]
            return cls
    return None


def _dispatch_cases() -> dict[str, dict[str, Any]]:
    cases = {}
    for path in sorted(events.FIXTURES.rglob("*.json")):
        sample = json.loads(path.read_text())
        if _is_http_proxy_event(sample):
            cases[str(path.relative_to(events.FIXTURES))] = sample
    # Every combination of the keys Mangum's rules read, the rest of the event empty.
    for elb, version, resource in itertools.product((False, True), repeat=3):
        event: dict[str, Any] = {"requestContext": {"elb": {}} if elb else {}}
        if version:
            event["version"] = "2.0"
        if resource:
            event["resource"] = "/{proxy+}"
        cases[f"elb={elb} version={version} resource={resource}"] = event
    return cases


DISPATCH = _dispatch_cases()


@pytest.mark.parametrize("name", sorted(DISPATCH))
def test_the_front_door_is_the_one_mangums_infer_picks(name: str) -> None:
    event = copy.deepcopy(DISPATCH[name])
    expected = _mangums_choice(event)

    if expected is None:
        with pytest.raises(UnsupportedEventError):
            _adapter().infer(event, LambdaContext())  # type: ignore[arg-type]
        return
    handler = _adapter().infer(event, LambdaContext())  # type: ignore[arg-type]
    assert next(c for c in (ALB, HTTPGateway, APIGateway) if isinstance(handler, c)) is expected


@pytest.mark.parametrize(
    "path",
    ["/", "/v1/pets", "/v1/pets/7/", "/a;b=c/d", "/%41", "/caf%C3%A9", "/café", "/a%2Fb", "/%ff"],
)
@pytest.mark.parametrize("decoded", [True, False])
def test_a_path_skips_decoding_only_where_decoding_changes_nothing(
    path: str, decoded: bool
) -> None:
    event = events.http_api(path=path, host="a.execute-api.us-east-1.amazonaws.com")
    handler = _adapter().infer(event, LambdaContext())  # type: ignore[arg-type]
    if not decoded:  # a Function URL: the path as the client sent it
        event["requestContext"]["domainName"] = events.FUNCTION_URL_HOST
    assert wsgi.path_is_decoded(event) is decoded

    environ = _adapter()._environ(handler, event)

    assert environ["PATH_INFO"] == wsgi.wsgi_path(path, decoded=decoded)


@pytest.mark.parametrize(
    ("host", "forwarded_port", "server_port"),
    [
        ("h.example.com", "443", "443"),
        ("h.example.com", " 8443", "8443"),
        ("h.example.com", "0443", "443"),
        ("h.example.com", None, "80"),
        ("h.example.com:8080", "443", "8080"),
        (None, None, "80"),
    ],
)
def test_server_port_is_the_port_int_reads(
    host: str | None, forwarded_port: str | None, server_port: str
) -> None:
    for _ in range(2):  # computed, then from the memo
        environ = wsgi._set_server({}, host, "https", forwarded_port)
        assert environ["SERVER_PORT"] == server_port


def test_a_port_that_is_not_a_number_is_a_400_every_time(invoke: Invoke) -> None:
    event = events.http_api(path="/health", headers={"x-forwarded-port": "https"})

    assert [invoke(event)["statusCode"] for _ in range(2)] == [400, 400]


def test_the_memos_stay_bounded_whatever_clients_send(monkeypatch: pytest.MonkeyPatch) -> None:
    for module, name in ((wsgi, "_PORTS"), (wsgi, "_STATUS_CODES"), (wsgi, "_KEYS"),
                         (lambda_adapter, "_LOWER")):  # fmt: skip
        memo = getattr(module, name)
        monkeypatch.setattr(module, name, wsgi.BoundedMemo(memo.make, memo.limit))

    for number in range(2000):
        assert wsgi._set_server({}, None, None, str(number))["SERVER_PORT"] == str(number)
        line = f"{200 + number % 300} Reason {number}"
        app = _answering(line, [(f"X-Name-{number}", "v")])
        response = wsgi.call_application(app, {"REQUEST_METHOD": "GET"})
        assert response["status"] == 200 + number % 300
        assert lambda_adapter._LOWER[f"X-Name-{number}"] == f"x-name-{number}"
        assert wsgi._environ_key(f"X-Name-{number}") == f"HTTP_X_NAME_{number}"

    assert len(wsgi._PORTS) == wsgi._PORTS_MAX
    assert len(wsgi._STATUS_CODES) == wsgi._STATUS_CODES_MAX
    assert len(lambda_adapter._LOWER) == 1024
    assert len(wsgi._KEYS) == wsgi._KEYS_MAX


def _answering(status: str, headers: list[tuple[str, str]], body: bytes = b"") -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, headers)
        return [body]

    return app


def test_a_body_written_through_write_comes_before_the_iterable() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        write = start_response("200 OK", [])
        write(b"a")
        write(b"b")
        return [b"c", b"d"]

    assert wsgi.call_application(app, {"REQUEST_METHOD": "GET"})["body"] == b"abcd"
    assert wsgi.call_application(app, {"REQUEST_METHOD": "HEAD"})["body"] == b""


class _CountingEnviron(type(os.environ)):  # type: ignore[misc]
    """os.environ, sharing its data, counting the reads of Lambda's trace id variable."""

    reads = 0

    def __getitem__(self, key: str) -> str:
        if key == "_X_AMZN_TRACE_ID":
            _CountingEnviron.reads += 1
        return str(super().__getitem__(key))


@pytest.mark.parametrize("in_lambda", [True, False])
def test_lambdas_trace_id_is_read_once_per_request(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, in_lambda: bool
) -> None:
    if in_lambda:
        monkeypatch.setenv("_X_AMZN_TRACE_ID", "Root=1-67891233-abcdef012345678912345678")
    else:
        monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    real = os.environ
    counting = _CountingEnviron(
        real._data,  # type: ignore[attr-defined]
        real.encodekey,
        real.decodekey,
        real.encodevalue,
        real.decodevalue,
    )
    monkeypatch.setattr(os, "environ", counting)
    _CountingEnviron.reads = 0
    # The sample's X-Amzn-Trace-Id names the request when Lambda's variable is unset.
    result = invoke(events.http_api(path="/health"))

    assert result["statusCode"] == 200
    # Once, by the request's middleware; the adapter read it too (and before the middleware).
    assert _CountingEnviron.reads == 1


def test_the_adapter_makes_few_python_calls_per_request() -> None:
    """A guard on the adapter's own work per invoke (not on time): Python-level calls outside
    the application for a payload 2.0 GET: 39 before issue 13's fifth pass, 25 after (24 on
    Python 3.12, which inlines comprehensions), 11 after the sixth (no handler object, the
    environ's and the response's helpers inlined); a little room for a fix that needs a call."""
    headers = [("Content-Type", "application/json"), ("Vary", "Accept"), ("X-A", "1")]
    adapter = _adapter(_answering("200 OK", headers, b"{}"))
    event = events.http_api(path="/v1/pets/7", headers={"x-api-key": "abc.def"})
    adapter(copy.deepcopy(event), LambdaContext())  # type: ignore[arg-type]  # memos warm
    calls: list[str] = []

    def profile(frame: FrameType, what: str, arg: Any) -> None:
        if what == "call":
            calls.append(f"{frame.f_code.co_filename}:{frame.f_code.co_name}")

    fresh, context = copy.deepcopy(event), LambdaContext()
    sys.setprofile(profile)
    try:
        result = adapter(fresh, context)  # type: ignore[arg-type]
    finally:
        sys.setprofile(None)

    assert result["statusCode"] == 200
    outside_app = [call for call in calls if not call.endswith(":app")]
    assert len(outside_app) <= 13, "\n".join(outside_app)


@pytest.mark.parametrize("stage", [None, "", "$default", "prod", 7])
@pytest.mark.parametrize("setting", ["auto", "off", "/prod"])
@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_the_stage_shortcut_splits_as_the_stage_prefix_does(
    stage: Any, setting: str, version: str
) -> None:
    from lambda_runtime.stage import stage_prefix

    host = "a.execute-api.us-east-1.amazonaws.com"
    if version == "2.0":
        event = events.http_api(path="/prod/v1/pets", host=host)
    else:
        event = events.rest(events.HTTP_API_V1, path="/prod/v1/pets", host=host)
    if stage is None:
        event["requestContext"].pop("stage", None)
    else:
        event["requestContext"]["stage"] = stage
    prefix = stage_prefix(setting, None)
    adapter = _adapter()
    lambda_adapter._PREFIX["prefix"] = prefix
    try:
        environ = adapter._environ_for(event, {"HTTP_HOST": host})
    finally:
        lambda_adapter._PREFIX.clear()

    path = "/prod/v1/pets"
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == prefix.split(event, host, path)


@pytest.mark.parametrize(
    "client",
    [None, "", "1.2.3.4", " 1.2.3.4 ", "1.2.3.4/32", "10.0.0.1, 1.2.3.4", "9.9.9.9,1.2.3.4/32 "],
)
def test_remote_addr_is_the_last_forwarded_address_without_its_suffix(client: str | None) -> None:
    environ = wsgi._environ("GET", "", b"", client)

    assert environ["REMOTE_ADDR"] == (client or "").rpartition(",")[2].strip().partition("/")[0]
    assert environ["CONTENT_LENGTH"] == "0"
    assert wsgi._environ("POST", "", b"abc", client)["CONTENT_LENGTH"] == "3"
