"""The OpenAPI document: valid OpenAPI 3, every route, the error shape, auth, docs offline."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def test_schema_is_valid_openapi_3(schema: dict[str, Any]) -> None:
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_schema_needs_no_authentication() -> None:
    assert Client().get("/v1/openapi.json/").status_code == 200


def _routes(resolver: URLResolver | URLPattern, prefix: str = "") -> list[str]:
    if isinstance(resolver, URLPattern):
        return [prefix + str(resolver.pattern)]
    return [
        r for child in resolver.url_patterns for r in _routes(child, prefix + str(resolver.pattern))
    ]


def test_every_api_route_is_documented(schema: dict[str, Any]) -> None:
    documented = {re.sub(r"\{[^}]+\}", "{}", path) for path in schema["paths"]}
    undocumented = []
    for route in (r for top in get_resolver().url_patterns for r in _routes(top)):
        canonical = re.sub(r"\(\?P<[^>]+>[^)]+\)", "{}", route).replace("^", "")
        canonical = "/" + canonical.replace("$", "").replace("/?", "").rstrip("/")
        if canonical.startswith(("/admin", "/v1/openapi", "/v1/docs")):
            continue  # The admin is HTML; the document does not describe itself.
        if canonical not in documented:
            undocumented.append(route)
    assert undocumented == []
    assert {"/health", "/v1/pets", "/v1/pets/{id}"} <= set(schema["paths"])


def test_every_error_response_uses_the_error_shape(schema: dict[str, Any]) -> None:
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["message"]
    assert set(error["properties"]) == {"message", "errors"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for code, response in operation["responses"].items():
                if code[0] in "45":  # 4xx, 5xx, and the 5XX range
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == "#/components/schemas/Error", (path, method, code)


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        # API keys answer 403 (never 401), and every keyed operation can be a 429. Reads
        # can be a 304 (If-None-Match) or 412 (If-Match); writes 412 or 428; creating POSTs
        # take an Idempotency-Key (409, 422, and 503 when its store is down).
        ("/v1/pets", "get", {"200", "304", "400", "403", "404", "412", "429", "5XX"}),
        (
            "/v1/pets",
            "post",
            {"201", "400", "403", "409", "413", "415", "422", "429", "503", "5XX"},
        ),
        ("/v1/pets/{id}", "get", {"200", "304", "400", "403", "404", "412", "429", "5XX"}),
        (
            "/v1/pets/{id}",
            "put",
            {"200", "400", "403", "404", "412", "413", "415", "428", "429", "5XX"},
        ),
        (
            "/v1/pets/{id}",
            "patch",
            {"200", "400", "403", "404", "412", "413", "415", "428", "429", "5XX"},
        ),
        ("/v1/pets/{id}", "delete", {"204", "400", "403", "404", "412", "428", "429", "5XX"}),
        ("/v1/usage", "get", {"200", "304", "400", "403", "412", "429", "5XX"}),
        ("/health", "get", {"200", "400", "503", "5XX"}),
    ],
)
def test_operations_document_their_responses(
    schema: dict[str, Any], path: str, method: str, codes: set[str]
) -> None:
    assert set(schema["paths"][path][method]["responses"]) == codes


def test_authentication_is_documented(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes
    for method, operation in schema["paths"]["/v1/pets"].items():
        assert operation["security"], method
        assert all(set(req) <= set(schemes) for req in operation["security"])
    assert (
        "security" not in schema["paths"]["/health"]["get"]
        or {} in schema["paths"]["/health"]["get"]["security"]
    )


# The photo uploads are the documented exceptions; tests/photos/test_schema.py pins them.
UPLOAD_OPERATIONS = {("/v1/photos", "post"), ("/v1/photos/uploads/local", "post")}


def test_request_bodies_are_json_only(schema: dict[str, Any]) -> None:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation and (path, method) not in UPLOAD_OPERATIONS:
                assert set(operation["requestBody"]["content"]) == {"application/json"}


def test_pet_rules_are_in_the_schema(schema: dict[str, Any]) -> None:
    pet = schema["components"]["schemas"]["PetRequest"]
    assert pet["required"] == ["name", "species"]
    assert (pet["properties"]["name"]["minLength"], pet["properties"]["name"]["maxLength"]) == (
        1,
        100,
    )
    assert pet["properties"]["notes"]["maxLength"] == 2000
    species = schema["components"]["schemas"]["SpeciesEnum"]["enum"]
    assert set(species) >= {"dog", "cat", "other"}


def test_list_parameters_are_bounded(schema: dict[str, Any]) -> None:
    params = {p["name"]: p for p in schema["paths"]["/v1/pets"]["get"]["parameters"]}
    assert params["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert params["page"]["schema"] == {"type": "integer", "minimum": 1}
    assert set(params["ordering"]["schema"]["items"]["enum"]) == {
        "name",
        "-name",
        "created_at",
        "-created_at",
    }


def test_servers_name_the_host_the_document_came_from(schema: dict[str, Any]) -> None:
    assert schema["servers"] == [{"url": "http://testserver", "description": "This deployment"}]


def test_docs_page_serves_its_assets_locally() -> None:
    page = Client().get("/v1/docs")

    assert page.status_code == 200
    html = page.content.decode()
    assert "cdn." not in html
    assert "unpkg" not in html
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets, html
    for asset in assets:
        assert asset.startswith("/static/"), asset
        response = Client().get(asset)
        response.close()  # The file stays open until the response is closed, as a server does.
        assert response.status_code == 200, asset


def test_string_patterns_match_what_the_server_accepts(schema: dict[str, Any]) -> None:
    """NUL characters and whitespace-only required strings are refused, and say so."""
    pet = schema["components"]["schemas"]["PetRequest"]["properties"]
    name, notes = re.compile(pet["name"]["pattern"]), re.compile(pet["notes"]["pattern"])

    assert name.search("Rex")
    assert name.search(" Rex ")
    assert not name.search("   ")
    assert not name.search("\x1f")
    assert not name.search("R\x00x")
    assert notes.search("")
    assert notes.search("   ")
    assert not notes.search("a\x00")


def test_search_parameter_refuses_nul_in_the_schema(schema: dict[str, Any]) -> None:
    params = {p["name"]: p for p in schema["paths"]["/v1/pets"]["get"]["parameters"]}
    pattern = re.compile(params["search"]["schema"]["pattern"])

    assert pattern.search("rex")
    assert not pattern.search("r\x00x")


def test_every_free_text_parameter_says_it_refuses_nul(schema: dict[str, Any]) -> None:
    """DRF refuses NUL in every string it parses (a 400), so a string parameter that the
    document leaves open (no format, pattern or enum) invites valid-looking requests the
    server refuses: the fuzzer's "schema-valid request rejected" (POST /v1/photos?caption=)."""
    open_strings = [
        f"{method.upper()} {path} {parameter['in']} {parameter['name']}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        for parameter in operation.get("parameters", [])
        if parameter.get("schema", {}).get("type") == "string"
        and not {"format", "pattern", "enum"} & set(parameter["schema"])
    ]

    assert open_strings == []


def test_an_empty_value_is_refused_where_the_document_admits_none(
    schema: dict[str, Any], api: Any
) -> None:
    """An enum or a number admits no empty string, so `?status=` must be a 400 naming the
    parameter, not the unfiltered list (the fuzzer's "schema-violating request accepted",
    GET /v1/photos?status=)."""
    checked = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if "{" in path or not isinstance(get, dict):
            continue
        for parameter in get.get("parameters", []):
            rules = parameter.get("schema", {})
            if "$ref" in rules:
                rules = schema["components"]["schemas"][rules["$ref"].rsplit("/", 1)[1]]
            if parameter["in"] != "query" or not (
                "enum" in rules or rules.get("type") in {"integer", "number"}
            ):
                continue
            response = api.get(f"{path}?{parameter['name']}=")
            assert response.status_code == 400, (path, parameter["name"], response.content)
            assert parameter["name"] in response.content.decode(), response.content
            checked.append(f"{path} {parameter['name']}")

    assert {
        "/health deep",
        "/v1/pets species",
        "/v1/pets page",
        "/v1/photos status",
        "/v1/photos pet",
    } <= set(checked)


def test_the_raw_upload_caption_parameter_refuses_nul(schema: dict[str, Any]) -> None:
    params = {p["name"]: p for p in schema["paths"]["/v1/photos"]["post"]["parameters"]}
    pattern = re.compile(params["caption"]["schema"]["pattern"])

    assert pattern.search("")
    assert pattern.search("A cat")
    assert not pattern.search("V\x00")


def test_response_headers_are_documented(schema: dict[str, Any]) -> None:
    create = schema["paths"]["/v1/pets"]["post"]["responses"]

    assert set(create["201"]["headers"]) == {
        "Location",
        "ETag",
        "Idempotent-Replayed",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
    }
    assert "Retry-After" in create["429"]["headers"]
    assert "headers" not in schema["paths"]["/health"]["get"]["responses"]["200"]
    for headers in (r.get("headers", {}) for r in create.values()):
        assert all("required" not in header for header in headers.values())


def _header_parameters(operation: dict[str, Any]) -> dict[str, Any]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        ("/v1/pets", "get", {"If-Match", "If-None-Match"}),
        ("/v1/pets/{id}", "get", {"If-Match", "If-None-Match"}),
        ("/v1/pets/{id}", "put", {"If-Match", "If-None-Match"}),
        ("/v1/pets/{id}", "patch", {"If-Match", "If-None-Match"}),
        ("/v1/pets/{id}", "delete", {"If-Match", "If-None-Match"}),
        ("/v1/photos/{id}", "delete", {"If-Match", "If-None-Match"}),
        ("/v1/usage", "get", {"If-Match", "If-None-Match"}),
        ("/v1/pets", "post", {"Idempotency-Key"}),
        ("/v1/photos", "post", {"Idempotency-Key"}),
        ("/v1/photos/uploads", "post", {"Idempotency-Key"}),
        ("/v1/photos/uploads/local", "post", set()),
        ("/health", "get", set()),
    ],
)
def test_conditional_and_idempotency_headers_are_documented(
    schema: dict[str, Any], path: str, method: str, headers: set[str]
) -> None:
    operation = schema["paths"][path][method]

    assert set(_header_parameters(operation)) == headers
    responses = operation["responses"]
    if "If-None-Match" in headers and method == "get":
        assert "content" not in responses["304"]
        assert "ETag" in responses["304"]["headers"]
        assert "ETag" in responses["200"]["headers"]
        assert "ETag" in responses["412"]["headers"]
    if "Idempotency-Key" in headers:
        assert "Retry-After" in responses["409"]["headers"]
        assert all("Idempotent-Replayed" in r["headers"] for r in responses.values())


def test_header_patterns_match_what_the_server_accepts(schema: dict[str, Any]) -> None:
    pets = schema["paths"]["/v1/pets/{id}"]
    tags = re.compile(_header_parameters(pets["put"])["If-Match"]["schema"]["pattern"])
    key = _header_parameters(schema["paths"]["/v1/pets"]["post"])["Idempotency-Key"]["schema"]
    keys = re.compile(key["pattern"])

    for accepted in ('"a"', 'W/"a"', "*", ' "a" , W/"b" ', '""'):
        assert tags.search(accepted), accepted
    for refused in ("a", '"a', '"a" "b"', "", '"a", *', 'w/"a"'):
        assert not tags.search(refused), refused
    for accepted in ("k", "a b", '"quoted"', "~" * 255):
        assert keys.search(accepted), accepted
    for refused in ("", "   ", '""', "caf\xe9", "tab\there"):
        assert not keys.search(refused), refused
