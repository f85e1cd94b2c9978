"""The environ built straight from the event equals the one the adapter used to build from
Mangum's ASGI scope, for every HTTP sample in tests/fixtures/aws-events and for the traps
(multi-value headers and queries, cookies, non-ASCII values, repeated and odd headers)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from mangum.handlers import ALB, APIGateway, HTTPGateway

from lambda_runtime.adapter import HANDLERS, LambdaWSGIAdapter, _is_http_proxy_event
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import LambdaContext

CONFIG = {"api_gateway_base_path": "/", "text_mime_types": [], "exclude_headers": []}
IGNORED = {"wsgi.input", "wsgi.errors", "aws.event", "aws.context"}


def _via_mangum_scope(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    """The previous way: Mangum's scope (headers as bytes), then a PEP 3333 environ."""
    handler_cls = next(
        cls for cls in (ALB, HTTPGateway, APIGateway) if cls.infer(event, LambdaContext(), CONFIG)
    )
    scope = handler_cls(event, LambdaContext(), CONFIG).scope
    scheme = scope["scheme"] if scope["scheme"] in ("http", "https") else "https"
    client = scope["client"][0] or ""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"].upper(),
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": scope["server"][0],
        "SERVER_PORT": str(scope["server"][1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": client.rpartition(",")[2].strip().partition("/")[0],
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        if name in ("content-type", "content-length"):
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
            continue
        if "_" in name:
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        if key in environ:
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value
    return environ


def _via_adapter(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    adapter = LambdaWSGIAdapter.__new__(LambdaWSGIAdapter)
    adapter.config = CONFIG
    handler = adapter.infer(event, LambdaContext())
    handler.__dict__["body"] = body
    return handler.environ()


def _http_samples() -> dict[str, dict[str, Any]]:
    samples = {}
    for path in sorted(events.FIXTURES.rglob("*.json")):
        event = json.loads(path.read_text())
        if _is_http_proxy_event(event) and any(
            cls.infer(event, LambdaContext(), CONFIG) for cls in HANDLERS
        ):
            samples[str(path.relative_to(events.FIXTURES))] = event
    return samples


SAMPLES = _http_samples()


def _variants() -> dict[str, Callable[[], dict[str, Any]]]:
    def v2_traps() -> dict[str, Any]:
        event = events.http_api(
            path="/v1/echo",
            query="a=1&b=caf%C3%A9&b=2&n=café",
            headers={
                "X-Note": "café ☕",
                "Accept": "a",
                "accept": "b",
                "x_forwarded_proto": "http",
                "x-forwarded-proto": "http",
                "x-forwarded-port": "8443",
                "content-type": "text/plain",
                "content-length": "99",
                "Cookie": "overridden=1",
            },
            cookies=["a=1", "b=ç"],
        )
        return event

    def v2_host_with_port() -> dict[str, Any]:
        return events.http_api(path="/v1/echo", headers={"host": "localhost:3000"})

    def v2_no_host() -> dict[str, Any]:
        event = events.http_api(path="/v1/echo")
        event["headers"] = {k: v for k, v in event["headers"].items() if k.lower() != "host"}
        return event

    def rest_multi() -> dict[str, Any]:
        event = events.rest(
            path="/v1/echo",
            query={"a": ["1", "2"], "c": [" x", "é"]},
            headers={"Accept": ["a", "b"], "Cookie": ["x=1", "y=2"], "X-Note": ["café"]},
        )
        event["multiValueHeaders"]["X-Empty"] = []
        event["multiValueHeaders"]["X-Odd"] = "not a list"
        return event

    def rest_headers_beyond_the_multi_value_map() -> dict[str, Any]:
        # Names only in `headers` (in any case), names in both with different values: the
        # multi-value map wins for its names, `headers` (its last case variant) for the rest.
        event = events.rest(path="/v1/echo", headers={"Accept": ["a", "b"], "X-Both": ["m"]})
        event["headers"].update(
            {"X-Only": "1", "x-only": "2", "X-Both": "single", "ACCEPT": "z", "x_under": "u"}
        )
        event["multiValueHeaders"]["X-Note"] = ["café", "☕"]
        return event

    def http_api_v1() -> dict[str, Any]:
        return events.load(events.HTTP_API_V1)

    def alb_multi_repeats() -> dict[str, Any]:
        event = events.load(events.ALB_MULTI)
        event["multiValueHeaders"]["accept"] = ["a", "b"]
        event["multiValueHeaders"]["cookie"] = ["x=1", "y=2"]
        event["multiValueHeaders"]["x-forwarded-for"] = ["9.9.9.9, 1.2.3.4", "5.6.7.8"]
        event["multiValueHeaders"]["x-forwarded-proto"] = ["http", "https"]
        return event

    def alb_query() -> dict[str, Any]:
        return events.load(events.ALB_MULTI_QUERY)

    return {
        "v2 traps": v2_traps,
        "v2 host with port": v2_host_with_port,
        "v2 without host": v2_no_host,
        "REST multi-value": rest_multi,
        "REST headers beyond the multi-value map": rest_headers_beyond_the_multi_value_map,
        "HTTP API payload 1.0": http_api_v1,
        "ALB repeated headers": alb_multi_repeats,
        "ALB multi-value query": alb_query,
    }


VARIANTS = _variants()


def _compare(event: dict[str, Any]) -> None:
    body = b"\x00body"
    expected = _via_mangum_scope(copy.deepcopy(event), body)
    environ = _via_adapter(copy.deepcopy(event), body)

    assert {k: v for k, v in environ.items() if k not in IGNORED} == expected
    assert environ["wsgi.input"].read() == body


@pytest.mark.parametrize("name", SAMPLES)
def test_every_http_sample_builds_the_same_environ_as_mangums_scope(name: str) -> None:
    _compare(SAMPLES[name])


@pytest.mark.parametrize("name", VARIANTS)
def test_the_traps_build_the_same_environ_as_mangums_scope(name: str) -> None:
    _compare(VARIANTS[name]())


def test_the_samples_cover_every_front_door() -> None:
    kinds = {type(_adapter_handler(event)).__name__ for event in SAMPLES.values()}

    assert kinds == {"_ALBEvent", "_HTTPAPIEvent", "_RESTEvent"}
    assert len(SAMPLES) >= 15


def _adapter_handler(event: dict[str, Any]) -> Any:
    adapter = LambdaWSGIAdapter.__new__(LambdaWSGIAdapter)
    adapter.config = CONFIG
    return adapter.infer(event, LambdaContext())
