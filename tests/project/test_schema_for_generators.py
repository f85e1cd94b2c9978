"""The OpenAPI document as client generators read it (issue 15): the committed copy the SDKs
are generated from is current, PATCH bodies have no defaults, every operation names its
errors, the key scheme comes first, method names read well, query arrays are exploded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

pytestmark = pytest.mark.django_db

COMMITTED = Path(__file__).resolve().parents[2] / "clients" / "openapi" / "openapi.json"
METHODS = {"get", "put", "post", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return dict(json.loads(COMMITTED.read_text()))


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_committed_document_is_what_the_app_generates(tmp_path: Path) -> None:
    fresh = tmp_path / "openapi.json"

    call_command("spectacular", "--format", "openapi-json", "--file", str(fresh))

    assert fresh.read_text() == COMMITTED.read_text(), "stale: run `make clients` and commit"


def test_the_served_document_differs_only_in_its_server(document: dict[str, Any]) -> None:
    served = Client().get("/v1/openapi.json").json()

    assert served["servers"] == [{"url": "http://testserver", "description": "This deployment"}]
    assert {**served, "servers": document["servers"]} == document


def test_patch_bodies_have_no_defaults(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    patched = []
    for _, method, operation in operations(document):
        if method == "patch":
            for content in operation["requestBody"]["content"].values():
                body = schemas[content["schema"]["$ref"].rsplit("/", 1)[1]]
                patched.append(body)
                assert "required" not in body
                assert all("default" not in field for field in body["properties"].values())
    assert patched
    # A full replacement keeps its documented default: PUT clears what it leaves out.
    assert schemas["PetRequest"]["properties"]["notes"]["default"] == ""


def test_every_operation_answers_errors_in_the_error_shape(document: dict[str, Any]) -> None:
    error = {"$ref": "#/components/schemas/Error"}
    for path, method, operation in operations(document):
        responses = operation["responses"]
        assert "5XX" in responses, (path, method)
        assert any(code.startswith("4") for code in responses) or path == "/health"
        for code, response in responses.items():
            if code[0] in "45":
                assert response["content"] == {"application/json": {"schema": error}}, code


def test_the_api_key_scheme_comes_first(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {**schemes["ApiKeyAuth"], "type": "apiKey", "in": "header"}
    assert schemes["ApiKeyAuth"]["name"] == "x-api-key"
    keyed = [op for _, _, op in operations(document) if op["security"] != [{}]]
    assert keyed
    assert all(op["security"][0] == {"ApiKeyAuth": []} for op in keyed)


def test_operation_ids_read_as_method_names(document: dict[str, Any]) -> None:
    ids = {(path, method): op["operationId"] for path, method, op in operations(document)}

    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", name) for name in ids.values()), ids
    assert len(set(ids.values())) == len(ids)
    assert ids[("/v1/pets", "get")] == "listPets"
    assert ids[("/v1/pets/{id}", "put")] == "replacePet"
    assert ids[("/v1/pets/{id}", "patch")] == "updatePet"
    assert ids[("/v1/photos", "post")] == "uploadPhoto"
    assert ids[("/v1/photos/uploads", "post")] == "startPhotoUpload"
    assert ids[("/v1/usage", "get")] == "getUsage"
    tags = {name for _, _, op in operations(document) for name in op["tags"]}
    assert tags == {tag["name"] for tag in document["tags"]}


def test_query_arrays_are_sent_as_repeated_parameters(document: dict[str, Any]) -> None:
    arrays = [
        parameter
        for _, _, operation in operations(document)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query" and parameter["schema"].get("type") == "array"
    ]

    assert {parameter["name"] for parameter in arrays} == {"ordering"}
    assert all((p["style"], p["explode"]) == ("form", True) for p in arrays)


def test_filters_share_the_fields_enums(document: dict[str, Any]) -> None:
    pets = {p["name"]: p for p in document["paths"]["/v1/pets"]["get"]["parameters"]}

    assert pets["species"]["schema"] == {"$ref": "#/components/schemas/SpeciesEnum"}
