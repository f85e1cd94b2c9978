"""The photos part of the OpenAPI document: exact bodies, every response, usable by generators."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker: Any) -> dict[str, Any]:
    with django_db_blocker.unblock():
        response = Client().get("/v1/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


@pytest.mark.parametrize(
    ("path", "method", "codes"),
    [
        ("/v1/photos", "get", {"200", "304", "400", "403", "404", "412", "429", "5XX"}),
        (
            "/v1/photos",
            "post",
            {"201", "400", "403", "409", "413", "415", "422", "429", "503", "5XX"},
        ),
        ("/v1/photos/{id}", "get", {"200", "304", "400", "403", "404", "412", "429", "5XX"}),
        ("/v1/photos/{id}", "delete", {"204", "400", "403", "404", "412", "428", "429", "5XX"}),
        (
            "/v1/photos/uploads",
            "post",
            {"201", "400", "403", "409", "413", "415", "422", "429", "503", "5XX"},
        ),
        ("/v1/photos/uploads/local", "post", {"204", "400", "403", "404", "413", "415", "5XX"}),
    ],
)
def test_photo_operations_document_their_responses(
    schema: dict[str, Any], path: str, method: str, codes: set[str]
) -> None:
    assert set(schema["paths"][path][method]["responses"]) == codes


def test_no_update_operations(schema: dict[str, Any]) -> None:
    assert set(schema["paths"]["/v1/photos/{id}"]) == {"get", "delete"}


def test_direct_upload_body_is_one_form_or_one_binary_type(schema: dict[str, Any]) -> None:
    content = schema["paths"]["/v1/photos"]["post"]["requestBody"]["content"]

    assert set(content) == {"multipart/form-data", "image/jpeg", "image/png", "image/webp"}
    for media_type in ("image/jpeg", "image/png", "image/webp"):
        assert content[media_type]["schema"] == {"type": "string", "format": "binary"}
    form = schema["components"]["schemas"]["PhotoUploadRequest"]
    assert content["multipart/form-data"]["schema"] == {
        "$ref": "#/components/schemas/PhotoUploadRequest"
    }
    assert form["required"] == ["file"]
    assert form["properties"]["file"] == {
        "type": "string",
        "format": "binary",
        "description": form["properties"]["file"]["description"],
    }
    assert form["properties"]["pet"]["type"] == "integer"
    assert form["properties"]["caption"]["maxLength"] == 500


def test_start_body_is_json_with_bounds(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/v1/photos/uploads"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/json"}
    start = schema["components"]["schemas"]["PhotoUploadStartRequest"]
    assert start["required"] == ["content_type", "filename", "size"]
    assert (start["properties"]["size"]["minimum"], start["properties"]["size"]["maximum"]) == (
        1,
        25 * 1024 * 1024,
    )
    assert schema["components"]["schemas"]["PhotoContentTypeEnum"]["enum"] == [
        "image/jpeg",
        "image/png",
        "image/webp",
    ]


def test_start_response_has_the_photo_and_the_form(schema: dict[str, Any]) -> None:
    response = schema["paths"]["/v1/photos/uploads"]["post"]["responses"]["201"]
    ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    body = schema["components"]["schemas"][ref]
    assert set(body["properties"]) == {"photo", "upload"}
    upload = schema["components"]["schemas"]["PresignedUpload"]
    assert set(upload["required"]) == {"url", "method", "fields", "expires_at"}


def test_photo_read_fields(schema: dict[str, Any]) -> None:
    photo = schema["components"]["schemas"]["Photo"]["properties"]
    for field in ("status", "width", "height", "content_type", "size", "url", "thumbnail_url"):
        assert field in photo
    assert photo["url"]["nullable"] is True
    assert schema["components"]["schemas"]["PhotoStatusEnum"]["enum"] == [
        "pending_upload",
        "processing",
        "ready",
        "failed",
    ]


def test_local_upload_needs_no_credentials(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/v1/photos/uploads/local"]["post"]
    assert operation.get("security", [{}]) in ([{}], [])
    assert set(operation["requestBody"]["content"]) == {"multipart/form-data"}
    form = schema["components"]["schemas"]["LocalUploadRequest"]
    assert set(form["required"]) == {"key", "policy", "Content-Type", "file"}


def test_list_filters_are_documented(schema: dict[str, Any]) -> None:
    params = {p["name"]: p for p in schema["paths"]["/v1/photos"]["get"]["parameters"]}
    assert params["pet"]["schema"]["type"] == "integer"
    # The filter shares the field's enum, so a generated client has one type for both.
    assert params["status"]["schema"] == {"$ref": "#/components/schemas/PhotoStatusEnum"}
    status = schema["components"]["schemas"]["PhotoStatusEnum"]["enum"]
    assert status == ["pending_upload", "processing", "ready", "failed"]
