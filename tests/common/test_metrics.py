"""EMF metrics in the access log: valid against the spec, bounded in cardinality, right values."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.signals import connection_created
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.api_keys import counters
from apps.common import metrics
from apps.common.logging import JSONFormatter
from tests import emf
from tests.api_keys.factories import APIKeyFactory, UsagePlanFactory

pytestmark = pytest.mark.django_db


class Lines:
    """JSON lines written through the project's formatter while the fixture is active."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines()]

    def raw(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def access(self) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["logger"] == "gatewayproject.request"]


@contextmanager
def statements_run() -> Iterator[list[str]]:
    """The SQL statements run inside the block (Django's CaptureQueriesContext loses them:
    each request resets the connection's query log)."""
    statements: list[str] = []

    def record(execute: Any, sql: str, *args: Any) -> Any:
        statements.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(record):
        yield statements


@pytest.fixture
def lines() -> Iterator[Lines]:
    capture = Lines()
    handler = logging.StreamHandler(capture.stream)
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("gatewayproject")
    logger.addHandler(handler)
    try:
        yield capture
    finally:
        logger.removeHandler(handler)


VALID = {
    "_aws": {
        "Timestamp": 1574109732004,
        "CloudWatchMetrics": [
            {
                "Namespace": "lambda-function-metrics",
                "Dimensions": [["functionVersion"], []],
                "Metrics": [{"Name": "time", "Unit": "Milliseconds"}],
            }
        ],
    },
    "functionVersion": "$LATEST",
    "time": 100,
}


def _broken(change: Any) -> str:
    doc = json.loads(json.dumps(VALID))
    change(doc)
    return json.dumps(doc)


MALFORMED = {
    "text before the object": "START " + json.dumps(VALID),
    "two objects": json.dumps(VALID) + json.dumps(VALID),
    "no _aws": _broken(lambda d: d.pop("_aws")),
    "no Timestamp": _broken(lambda d: d["_aws"].pop("Timestamp")),
    "Timestamp in seconds": _broken(lambda d: d["_aws"].update(Timestamp=1574109732)),
    "no namespace": _broken(lambda d: d["_aws"]["CloudWatchMetrics"][0].pop("Namespace")),
    "AWS namespace": _broken(
        lambda d: d["_aws"]["CloudWatchMetrics"][0].update(Namespace="AWS/Lambda")
    ),
    "dimension not on the root": _broken(lambda d: d.pop("functionVersion")),
    "dimension not a string": _broken(lambda d: d.update(functionVersion=3)),
    "dimension with a newline": _broken(lambda d: d.update(functionVersion="a\nb")),
    "dimension not ASCII": _broken(lambda d: d.update(functionVersion="café")),
    "metric not on the root": _broken(lambda d: d.pop("time")),
    "metric a string": _broken(lambda d: d.update(time="100")),
    "metric a boolean": _broken(lambda d: d.update(time=True)),
    "metric array too long": _broken(lambda d: d.update(time=list(range(101)))),
    "unknown unit": _broken(
        lambda d: d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0].update(Unit="Millis")
    ),
    "ten dimension keys": _broken(
        lambda d: d["_aws"]["CloudWatchMetrics"][0].update(
            Dimensions=[[f"d{n}" for n in range(10)]]
        )
    ),
    "101 metrics": _broken(
        lambda d: d["_aws"]["CloudWatchMetrics"][0].update(Metrics=[{"Name": "time"}] * 101)
    ),
}


def test_the_validator_accepts_the_specification_example() -> None:
    assert emf.problems(json.dumps(VALID)) == []


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_the_validator_refuses_a_malformed_line(name: str) -> None:
    assert emf.problems(MALFORMED[name]), name


def test_every_access_line_is_a_valid_emf_document(lines: Lines) -> None:
    key = APIKeyFactory()
    client = Client()
    client.get("/health")
    client.get("/v1/pets", HTTP_X_API_KEY=key.raw_key)
    client.get("/v1/pets/999999", HTTP_X_API_KEY=key.raw_key)
    client.get("/no/such/path")
    client.get("/v1/pets")  # no key: 403

    raw = [line for line in lines.raw() if '"gatewayproject.request"' in line]
    assert len(raw) == 5
    for line in raw:
        assert emf.problems(line) == [], line
    routes = [(doc["Route"], doc["status"]) for doc in lines.access()]
    assert routes == [
        ("GET /health", 200),
        ("GET /v1/pets", 200),
        ("GET /v1/pets/{pk}", 404),
        ("GET unmatched", 404),
        ("GET /v1/pets", 403),
    ]


def test_request_metrics_have_the_right_values(lines: Lines) -> None:
    key = APIKeyFactory()
    client = Client()
    with statements_run() as statements:
        client.get("/v1/pets", HTTP_X_API_KEY=key.raw_key)
    client.get("/v1/pets/1", HTTP_X_API_KEY=key.raw_key)

    ok, missing = lines.access()
    assert (ok["Requests"], ok["Errors4xx"], ok["Errors5xx"]) == (1, 0, 0)
    assert ok["DBQueries"] == len(statements) > 0
    assert 0 <= ok["DBTime"] <= ok["Latency"] == ok["durationMs"]
    assert (missing["Errors4xx"], missing["Errors5xx"]) == (1, 0)
    assert (ok["Plan"], ok["PlanRequests"], ok["Throttled"], ok["QuotaRefused"]) == (
        key.plan.name,
        1,
        0,
        0,
    )
    directives = ok["_aws"]["CloudWatchMetrics"]
    assert [d["Dimensions"] for d in directives] == [[[], ["Route"]], [[], ["Plan"]]]
    assert {d["Namespace"] for d in directives} == {"PetsApi"}


def test_a_server_error_counts_as_5xx(lines: Lines, settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.project.urls_boom"
    Client(raise_request_exception=False).get("/v1/plain-boom")

    (line,) = lines.access()
    assert (line["status"], line["Errors5xx"], line["Errors4xx"]) == (500, 1, 0)
    assert emf.problems(json.dumps(line)) == []


def test_throttled_and_quota_refused_requests_count_by_plan(lines: Lines) -> None:
    throttled = APIKeyFactory(plan=UsagePlanFactory(name="tight", rate=Decimal("0.001"), burst=1))
    capped = APIKeyFactory(plan=UsagePlanFactory(name="capped", limit=1))
    client = Client()
    for key in (throttled, throttled, capped, capped):
        client.get("/v1/pets", HTTP_X_API_KEY=key.raw_key)

    seen = [(d["Plan"], d["status"], d["Throttled"], d["QuotaRefused"]) for d in lines.access()]
    assert seen == [
        ("tight", 200, 0, 0),
        ("tight", 429, 1, 0),
        ("capped", 200, 0, 0),
        ("capped", 429, 0, 1),
    ]
    for line in lines.raw():
        assert emf.problems(line) == []


def test_the_refusal_reasons_the_access_line_counts_are_the_counters() -> None:
    # apps.common cannot import apps.api_keys; the strings it compares must stay the same.
    assert (counters.THROTTLE, counters.QUOTA) == ("throttle", "quota")


def test_a_plan_name_that_cannot_be_a_dimension_is_replaced(lines: Lines) -> None:
    key = APIKeyFactory(plan=UsagePlanFactory(name="Prämie\tplan"))
    Client().get("/v1/pets", HTTP_X_API_KEY=key.raw_key)

    (line,) = lines.access()
    assert line["Plan"] == f"plan-{key.plan.pk}"
    assert emf.problems(json.dumps(line)) == []


def test_metrics_can_be_switched_off(lines: Lines, settings: Any) -> None:
    settings.OBSERVABILITY = {"METRICS": False}
    Client().get("/health")

    (line,) = lines.access()
    assert "_aws" not in line
    assert line["Route"] == "GET /health"


def test_the_namespace_is_a_setting(lines: Lines, settings: Any) -> None:
    settings.OBSERVABILITY = {"NAMESPACE": "my-stack"}
    Client().get("/health")

    (line,) = lines.access()
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "my-stack"


@pytest.mark.parametrize(
    ("route", "template"),
    [
        ("v1/^pets/(?P<pk>[^/.]+)/?$", "/v1/pets/{pk}"),
        ("v1/^pets/?$", "/v1/pets"),
        ("v1/^photos/uploads/local/?$", "/v1/photos/uploads/local"),
        ("v1/^openapi\\.json/?$", "/v1/openapi.json"),
        ("items/<int:item_id>/parts/<slug>/", "/items/{item_id}/parts/{slug}"),
        ("^health/?$", "/health"),
    ],
)
def test_route_templates(route: str, template: str) -> None:
    assert metrics.route_template(route) == template


# --- Cardinality: whatever the paths, the Route dimension has boundedly many values ------


def _routes(patterns: list[Any], prefix: str = "") -> set[str]:
    """Every route string the URLconf can put in `resolver_match.route`."""
    found: set[str] = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found |= _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            found.add(route)
    return found


def allowed_routes() -> set[str]:
    templates = {
        "/admin" if route.startswith("admin/") else metrics.route_template(route)
        for route in _routes(get_resolver().url_patterns)
    }
    templates |= {"/health", "unmatched"}
    methods = metrics.METHODS | {"OTHER"}
    return {f"{method} {template}" for method in methods for template in templates}


SEGMENTS = st.one_of(
    st.sampled_from(["v1", "pets", "photos", "usage", "admin", "health", "uploads", "docs"]),
    st.integers(min_value=-5, max_value=10**12).map(str),
    st.uuids().map(str),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        min_size=1,
        max_size=12,
    ).filter(lambda s: "/" not in s),
)
PATHS = st.lists(SEGMENTS, min_size=0, max_size=5).map(
    lambda parts: "/" + "/".join(parts)
) | st.lists(SEGMENTS, min_size=1, max_size=4).map(lambda parts: "/v1/" + "/".join(parts) + "/")
METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "BREW"])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(requests=st.lists(st.tuples(METHODS, PATHS), min_size=1, max_size=8))
def test_route_cardinality_is_bounded_under_fuzzed_paths(
    lines: Lines, requests: list[tuple[str, str]]
) -> None:
    allowed = allowed_routes()
    client = Client(raise_request_exception=False)
    before = len(lines.access())
    for method, path in requests:
        client.generic(method, path)
    seen = {line["Route"] for line in lines.access()[before:]}
    assert seen <= allowed, seen - allowed


def test_the_documented_bound_on_route_values() -> None:
    # docs/observability.md states this bound; a new URL pattern must update it there.
    templates = {label.split(" ", 1)[1] for label in allowed_routes()}
    assert len(templates) <= 24, sorted(templates)


def test_the_formatter_splices_the_directives_made_once_into_the_same_json() -> None:
    """The line is what json.dumps would write: the directives' text is only made once."""
    members = metrics.emf_members([metrics.REQUESTS, metrics.PLANS], now_ms=1234)
    assert members is not None
    fields = {"Route": "GET /v1/pets/{id}", "note": "café", "_aws": members}
    record = logging.LogRecord("gatewayproject.request", logging.INFO, "", 0, "request", (), None)
    record.__dict__.update(fields)
    odd = logging.LogRecord("x", logging.INFO, "", 0, "m", (), None)
    odd.__dict__["_aws"] = {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "N"}], "x": 2}

    line = JSONFormatter().format(record)

    assert (
        members["CloudWatchMetrics"]
        is metrics.emf_members([metrics.REQUESTS, metrics.PLANS])["CloudWatchMetrics"]
    )  # type: ignore[index]
    doc = json.loads(line)
    assert doc["_aws"] == json.loads(json.dumps(members))
    assert doc["note"] == "café"
    assert "café" in line  # not escaped, as before
    assert {k: doc[k] for k in fields} == json.loads(json.dumps(fields))
    assert json.loads(JSONFormatter().format(odd))["_aws"] == odd.__dict__["_aws"]


def test_queries_are_counted_on_the_connection_the_thread_announced(lines: Lines) -> None:
    key = APIKeyFactory()
    client = Client()
    own = connections[DEFAULT_DB_ALIAS]
    # As when this thread's wrapper connects (or reconnects, after CONN_MAX_AGE):
    connection_created.send(sender=type(own), connection=own)
    assert metrics._thread.connection is own
    # A throwaway wrapper under the same alias (as PostgreSQL's _nodb_cursor may make)
    # is not the thread's: queries never go through it, so it must not be remembered.
    throwaway = connection.copy()
    connection_created.send(sender=type(throwaway), connection=throwaway)
    assert metrics._thread.connection is own

    with statements_run() as statements:
        client.get("/v1/pets", HTTP_X_API_KEY=key.raw_key)

    (line,) = lines.access()
    assert line["DBQueries"] == len(statements) > 0


def test_queries_are_counted_in_a_thread_that_never_announced_a_connection(
    lines: Lines,
) -> None:
    key = APIKeyFactory()
    metrics._thread.__dict__.pop("connection", None)  # as in a thread that inherited one

    Client().get("/v1/pets", HTTP_X_API_KEY=key.raw_key)

    (line,) = lines.access()
    assert line["DBQueries"] > 0
