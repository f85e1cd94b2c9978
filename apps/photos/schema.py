"""OpenAPI for the photo views: each operation's text, and every upload body required whatever
its media type (loaded with the generator, not at start-up)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers

from apps.common.schema import NO_NUL_PATTERN, AutoSchema, ErrorSerializer, document_view
from apps.photos.filters import IntegerFilter
from apps.photos.models import CAPTION_MAX_LENGTH, MAX_ID
from apps.photos.parsers import RAW_IMAGE_PARSERS
from apps.photos.serializers import (
    LocalUploadSerializer,
    OwnPetField,
    PhotoSerializer,
    PhotoUploadSerializer,
    PhotoUploadStartResponseSerializer,
    PhotoUploadStartSerializer,
)
from apps.photos.views import LocalUploadView, PhotoViewSet

# Field types the generator cannot infer, annotated here rather than where the fields are
# defined: drf_spectacular.utils is then not imported at start-up (a Lambda's init).
POSITIVE_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
extend_schema_field(POSITIVE_ID)(OwnPetField)  # a pet's id, not a choice among related objects
extend_schema_field(POSITIVE_ID)(IntegerFilter)  # a whole number, not django-filter's decimal
for _method in (
    PhotoSerializer.get_url,
    PhotoSerializer.get_thumbnail_url,
    PhotoSerializer.get_original_url,
):
    extend_schema_field(serializers.URLField(allow_null=True))(_method)

PHOTO_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The photo's id."
)
RAW_BODY_QUERY = [
    OpenApiParameter(
        "pet",
        {"type": "integer", "minimum": 1},
        description="For a raw image body: the id of one of your pets (a form field wins).",
    ),
    OpenApiParameter(
        "caption",
        {"type": "string", "maxLength": CAPTION_MAX_LENGTH, "pattern": NO_NUL_PATTERN},
        description="For a raw image body: up to 500 characters (a form field wins).",
    ),
]
TOO_LARGE = OpenApiResponse(
    ErrorSerializer, "The file is over PHOTOS_DIRECT_MAX_BYTES; use POST /v1/photos/uploads."
)


class UploadSchema(AutoSchema):
    """drf-spectacular marks a body of a raw binary type optional; an upload needs its bytes."""

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        body: dict[str, Any] | None = super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        if body is not None:
            body["required"] = True
        return body


document_view(
    PhotoViewSet,
    schema_class=UploadSchema,
    list=extend_schema(summary="List your photos", description="A page of the caller's photos."),
    retrieve=extend_schema(summary="Read a photo", parameters=[PHOTO_ID]),
    destroy=extend_schema(
        summary="Delete a photo",
        description="Deletes the photo and every stored file (original and derived).",
        parameters=[PHOTO_ID],
    ),
    create=extend_schema(
        operation_id="uploadPhoto",
        summary="Upload a photo directly",
        description=(
            "A multipart form with `file` (and optional `pet`, `caption`), or the raw image as "
            "the body with `?pet=&caption=`. At most PHOTOS_DIRECT_MAX_BYTES (4 MiB by "
            "default); larger photos go through `POST /v1/photos/uploads`. The image is "
            "checked and processed before the answer, so the photo comes back `ready`."
        ),
        request={
            "multipart/form-data": PhotoUploadSerializer,
            **{parser.media_type: OpenApiTypes.BINARY for parser in RAW_IMAGE_PARSERS},
        },
        parameters=RAW_BODY_QUERY,
        responses={201: PhotoSerializer, 413: TOO_LARGE},
    ),
    uploads=extend_schema(
        operation_id="startPhotoUpload",
        summary="Start a large upload",
        description=(
            "Creates the photo as `pending_upload` and returns a presigned form: POST "
            "`upload.fields` and then `file` as multipart/form-data to `upload.url` before "
            "`upload.expires_at`. The photo is processed when the upload lands."
        ),
        request=PhotoUploadStartSerializer,
        responses={201: PhotoUploadStartResponseSerializer},
    ),
)
document_view(
    LocalUploadView,
    post=extend_schema(
        operation_id="receivePhotoUpload",
        tags=["photos"],
        summary="Receive a presigned upload (local storage only)",
        description=(
            "Where `POST /v1/photos/uploads` points when photos are stored on the local "
            "filesystem; 404 when photos are stored on S3. Answers like S3: 204 when stored; "
            "403 when the policy is invalid, expired or already used; 400 when the size is "
            "outside the policy's range."
        ),
        request={"multipart/form-data": LocalUploadSerializer},
        responses={
            204: None,
            403: OpenApiResponse(ErrorSerializer, "The policy is invalid, expired or used."),
            404: OpenApiResponse(ErrorSerializer, "Photos are stored on S3: post to the bucket."),
            413: OpenApiResponse(ErrorSerializer, "The file is over PHOTOS_MAX_BYTES."),
        },
    ),
)
