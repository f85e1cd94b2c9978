"""HTTP wiring for /v1/photos: thin views over selectors and services."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common.filters import repeated_names
from apps.common.idempotency import idempotent
from apps.common.parsers import JSONParser
from apps.common.schema import ErrorSerializer
from apps.common.viewsets import (
    ConditionalDestroyMixin,
    ConditionalListMixin,
    ConditionalRetrieveMixin,
)
from apps.identity.scopes import PETS
from apps.photos import selectors, services, storage
from apps.photos.filters import PhotoFilter
from apps.photos.models import CAPTION_MAX_LENGTH, Photo
from apps.photos.parsers import (
    RAW_IMAGE_PARSERS,
    RAW_NAME,
    LimitedMultiPartParser,
    LocalUploadMultiPartParser,
    PhotoTooLarge,
)
from apps.photos.schema import UploadSchema
from apps.photos.serializers import (
    LocalUploadSerializer,
    PhotoSerializer,
    PhotoUploadQuerySerializer,
    PhotoUploadSerializer,
    PhotoUploadStartResponseSerializer,
    PhotoUploadStartSerializer,
    PresignedUploadSerializer,
    clean_filename,
)
from apps.photos.uploads import PolicyError

PHOTO_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The photo's id."
)
UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
RAW_BODY_QUERY = [
    OpenApiParameter(
        "pet",
        {"type": "integer", "minimum": 1},
        description="For a raw image body: the id of one of your pets (a form field wins).",
    ),
    OpenApiParameter(
        "caption",
        {"type": "string", "maxLength": CAPTION_MAX_LENGTH},
        description="For a raw image body: up to 500 characters (a form field wins).",
    ),
]
TOO_LARGE = OpenApiResponse(
    ErrorSerializer, "The file is over PHOTOS_DIRECT_MAX_BYTES; use POST /v1/photos/uploads."
)


UPLOAD_FIELDS = ("file", "pet", "caption")


def _repeated(data: Any, names: tuple[str, ...]) -> dict[str, list[str]]:
    """Errors for each of `names` sent more than once in a QueryDict."""
    return {name: ["Send this field once."] for name in repeated_names(data, names)}


class PhotoViewSet(
    ConditionalListMixin,
    ConditionalRetrieveMixin,
    ConditionalDestroyMixin,
    viewsets.GenericViewSet[Photo],
):
    """The caller's photos. Someone else's photo is a 404 for every method."""

    serializer_class = PhotoSerializer
    token_scopes = PETS  # photos are the pets': pets/read to read, pets/write to write
    schema = UploadSchema()
    lookup_value_regex = UUID_PATTERN
    filterset_class = PhotoFilter
    search_fields = ("caption",)
    ordering_fields = ("created_at",)
    ordering = ("-created_at",)
    # Only the direct upload reads a body here; `uploads` sets its own JSON parser.
    parser_classes = (LimitedMultiPartParser, *RAW_IMAGE_PARSERS)

    def get_queryset(self) -> QuerySet[Photo]:
        return selectors.photo_list(owner=self.request.user)

    @extend_schema(summary="List your photos", description="A page of the caller's photos.")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Read a photo", parameters=[PHOTO_ID])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Delete a photo",
        description="Deletes the photo and every stored file (original and derived).",
        parameters=[PHOTO_ID],
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: Photo) -> None:
        services.photo_delete(photo=instance, expected_version=self.expected_version)

    @extend_schema(
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
    )
    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self._body(request)
        # Checked before anything else: a serializer would silently take the last value.
        repeated = _repeated(request.query_params, ("pet", "caption"))
        repeated |= _repeated(request.data, UPLOAD_FIELDS) if not self._is_raw(request) else {}
        if repeated:
            raise ValidationError(repeated)
        query = PhotoUploadQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)  # Checked even when form fields override it.
        params = request.query_params
        raw_query = {key: params[key] for key in ("pet", "caption") if key in params}
        data = {**raw_query, **body}
        upload = PhotoUploadSerializer(data=data, context={"request": request})
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        try:
            photo = services.photo_upload_direct(
                owner=request.user,  # type: ignore[arg-type]
                file=file,
                filename="" if self._is_raw(request) else clean_filename(file.name or ""),
                pet=upload.validated_data["pet"],
                caption=upload.validated_data["caption"],
            )
        except services.PhotoTooLargeError as exc:
            raise PhotoTooLarge(exc.max_bytes) from None
        return self._created(
            request, PhotoSerializer(photo, context={"request": request}).data, photo
        )

    @staticmethod
    def _is_raw(request: Request) -> bool:
        media_type = request.content_type.split(";")[0].strip().lower()
        return media_type in {parser.media_type for parser in RAW_IMAGE_PARSERS}

    def _body(self, request: Request) -> dict[str, Any]:
        """Form fields as given; a raw body is `file` (empty when the body was)."""
        if self._is_raw(request):
            # DRF skips the parser for an empty body; make that an empty file, not a missing one.
            return {"file": request.data.get("file", SimpleUploadedFile(RAW_NAME, b""))}
        return {key: request.data[key] for key in request.data}

    def _created(self, request: Request, body: Any, photo: Photo) -> Response:
        location = request.build_absolute_uri(reverse("photos:photo-detail", args=[photo.pk]))
        headers = {"Location": location, "ETag": str(self.object_etag(photo))}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(
        operation_id="startPhotoUpload",
        summary="Start a large upload",
        description=(
            "Creates the photo as `pending_upload` and returns a presigned form: POST "
            "`upload.fields` and then `file` as multipart/form-data to `upload.url` before "
            "`upload.expires_at`. The photo is processed when the upload lands."
        ),
        request=PhotoUploadStartSerializer,
        responses={201: PhotoUploadStartResponseSerializer},
    )
    @action(detail=False, methods=["post"], url_path="uploads", parser_classes=[JSONParser])
    @idempotent
    def uploads(self, request: Request) -> Response:
        start = PhotoUploadStartSerializer(data=request.data, context={"request": request})
        start.is_valid(raise_exception=True)
        values = start.validated_data
        photo, upload = services.photo_upload_start(
            owner=request.user,  # type: ignore[arg-type]
            filename=clean_filename(values["filename"]),
            content_type=values["content_type"],
            size=values["size"],
            pet=values["pet"],
            caption=values["caption"],
        )
        upload = dataclasses.replace(upload, url=request.build_absolute_uri(upload.url))
        body = {
            "photo": PhotoSerializer(photo, context={"request": request}).data,
            "upload": PresignedUploadSerializer(upload).data,
        }
        return self._created(request, body, photo)


class LocalUploadView(APIView):
    """Receives a presigned form locally, as S3 would, then processes it at once.

    Authorised by the signed policy in the form, not by the caller's credentials, exactly
    like an S3 presigned POST.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()
    parser_classes = (LocalUploadMultiPartParser,)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # With S3 storage the presigned form goes to the bucket; this stand-in must not
        # exist, or it would write objects that bypass the bucket's policy and events.
        if storage.is_s3():
            raise Http404
        super().initial(request, *args, **kwargs)

    @extend_schema(
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
    )
    def post(self, request: Request) -> Response:
        form = LocalUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        fields = {name: str(value) for name, value in form.validated_data.items() if name != "file"}
        file = form.validated_data["file"]
        try:
            services.photo_upload_receive(fields=fields, file=file, size=file.size)
        except PolicyError as exc:
            raise PermissionDenied(exc.reason) from None
        except ValueError as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
