"""One route table, two front doors: the template holds what infra/routes.py generates, the
REST and HTTP APIs serve the same routes (method and path), and those routes serve the app's
URLs with the app's own key requirements."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.test import Client

from infra import routes
from tests.infra import pipeline, rest_rules, rules
from tests.infra.cfn import TEMPLATE, load, properties

FRONT_DOORS = ("http", "rest", "both")
# What a deploy passes that has no default.
REQUIRED = {
    "SecretsExtensionLayerArn": "arn:aws:lambda:eu-west-1:123456789012:layer:"
    "AWS-Parameters-and-Secrets-Lambda-Extension:12",
}
METHODS = ("get", "post", "put", "patch", "delete")
# Keyless operations under /v1 that a deployment never serves: the local-storage upload
# target (404 when photos are on S3, as on AWS), which a REST API would ask a key for.
LOCAL_ONLY = {"POST /v1/photos/uploads/local"}


def test_the_template_holds_what_the_route_table_generates(template_text: str) -> None:
    assert routes.render(template_text) == template_text, "run: python -m infra.routes"


def test_a_hand_edit_of_a_generated_route_is_reported() -> None:
    text = TEMPLATE.read_text().replace("Path: /v1/docs}", "Path: /v1/documents}", 1)

    assert routes.render(text) != text
    assert routes.main(["--check"]) == 0


def _rest_keys(template: dict[str, Any]) -> set[str]:
    body = properties(template["Resources"]["RestApi"]).get("Body") or {}
    return set(rest_rules._operations(body))


def _http_keys(template: dict[str, Any]) -> set[str]:
    body = properties(template["Resources"]["HttpApi"]).get("Body") or {}
    return {
        f"{method.upper()} {path}"
        for path, item in (body.get("paths") or {}).items()
        for method in item
        if method != "options"
    }


@pytest.fixture(scope="module", params=FRONT_DOORS)
def front_door(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    os.environ.setdefault("AWS_DEFAULT_REGION", pipeline.REGION)
    parameters = {**REQUIRED, "FrontDoor": request.param}
    return request.param, pipeline.transform(TEMPLATE.read_text(), parameters)


def test_the_template_transforms_with_every_front_door(
    front_door: tuple[str, dict[str, Any]],
) -> None:
    _, template = front_door

    assert template["Resources"]["RestApi"]["Condition"] == "RestFrontDoor"
    assert rules.check(template) == {}


def test_the_rest_and_http_apis_serve_the_same_routes(
    front_door: tuple[str, dict[str, Any]],
) -> None:
    _, template = front_door
    rest, http = _rest_keys(template), _http_keys(template)

    assert http == set(routes.ROUTE_KEYS)
    assert http <= rest
    # The REST API's other operations (the validated ones, and every method on each
    # resource, which a REST API needs where an HTTP API falls back to a greedy route) are
    # requests the HTTP API serves through one of its routes.
    assert {routes.greedy_route(*key.split(" ", 1)).key for key in rest} == http
    assert {item.key for item in routes.VALIDATED} <= rest


def test_a_route_only_one_front_door_serves_fails_the_comparison(
    front_door: tuple[str, dict[str, Any]],
) -> None:
    _, template = front_door
    body = properties(template["Resources"]["RestApi"])["Body"]
    body["paths"]["/health"] = {"put": body["paths"]["/v1/docs"]["get"]}

    assert "PUT /health: no HTTP API route serves it" in rest_rules.rest_api_routes(template)
    del body["paths"]["/health"]


@pytest.fixture(scope="module")
def document(django_db_blocker: Any) -> dict[str, Any]:
    """The OpenAPI document the app serves."""
    with django_db_blocker.unblock():
        response = Client().get("/v1/openapi.json")
    assert response.status_code == 200
    served: dict[str, Any] = response.json()
    return served


def _app_operations(document: dict[str, Any]) -> dict[str, bool]:
    """`METHOD /path` of every operation the app documents -> whether it needs a key."""
    found = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                security = item[method].get("security") or []
                keyed = any("ApiKeyAuth" in requirement for requirement in security)
                found[f"{method.upper()} {path}"] = keyed
    return found


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_app_operation_has_a_route_metered_as_the_app_requires(
    document: dict[str, Any],
) -> None:
    operations = _app_operations(document)

    assert "POST /v1/pets" in operations
    assert set(operations) >= LOCAL_ONLY
    for key, keyed in operations.items():
        if key in LOCAL_ONLY:
            continue
        method, path = key.split(" ", 1)
        route = routes.greedy_route(method, _concrete(path))
        assert route.metered == keyed, key


@pytest.mark.parametrize(
    ("method", "path", "route"),
    [
        ("GET", "/health", "GET /{proxy+}"),
        ("GET", "/admin/", "GET /{proxy+}"),
        ("POST", "/admin/login/", "POST /{proxy+}"),
        (
            "GET",
            "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
            "GET /static/{proxy+}",
        ),
        ("POST", "/static/x", "POST /{proxy+}"),
        ("GET", "/v1/openapi.json", "GET /v1/openapi.json"),
        ("GET", "/v1/docs", "GET /v1/docs"),
        ("GET", "/v1/pets/1", "GET /v1/{proxy+}"),
    ],
)
def test_the_apps_other_urls_reach_the_function(method: str, path: str, route: str) -> None:
    assert routes.greedy_route(method, path).key == route


def test_only_public_documents_are_cacheable(document: dict[str, Any]) -> None:
    operations = _app_operations(document)

    for key in routes.PUBLIC_CACHEABLE_KEYS:
        # The document does not describe itself or the docs page; neither needs a key.
        assert operations.get(key) is not True, f"{key} needs a key: it is owner data"
        assert not routes.greedy_route(*key.split(" ", 1)).metered


def test_validated_bodies_are_the_apps_own_request_schemas(document: dict[str, Any]) -> None:
    assert routes.request_schemas(document) == routes.request_schemas()
    for item in routes.VALIDATED:
        body = document["paths"][item.path][item.method.lower()]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        assert schema == {"$ref": f"#/components/schemas/{item.schema}"}
        assert body.get("required", False) is item.body_required


def test_the_preflight_allows_the_http_apis_cors_headers() -> None:
    template = load(TEMPLATE.read_text())
    configuration = properties(template["Resources"]["HttpApi"])["CorsConfiguration"]
    _condition, when_set, _otherwise = configuration["Fn::If"]

    assert ",".join(when_set["AllowHeaders"]) == routes.CORS_ALLOW_HEADERS
    methods = set(routes.CORS_ALLOW_METHODS.split(",")) - {"OPTIONS"}
    assert methods == set(when_set["AllowMethods"])
