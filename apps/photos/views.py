"""HTTP wiring for /v1/photos: thin views over selectors and services (OpenAPI text: schema.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common.idempotency import idempotent
from apps.common.parsers import JSONParser
from apps.common.viewsets import (
    ConditionalDestroyMixin,
    ConditionalListMixin,
    ConditionalRetrieveMixin,
)
from apps.identity.scopes import PETS
from apps.photos import selectors, services, storage
from apps.photos.exceptions import PhotoTooLargeError, PolicyError, UploadSizeError
from apps.photos.filters import PhotoFilter
from apps.photos.models import Photo
from apps.photos.parsers import (
    RAW_IMAGE_PARSERS,
    LimitedMultiPartParser,
    LocalUploadMultiPartParser,
    PhotoTooLarge,
)
from apps.photos.serializers import (
    LocalUploadSerializer,
    PhotoSerializer,
    PhotoUploadSerializer,
    PhotoUploadStartSerializer,
    PresignedUploadSerializer,
    clean_filename,
)

UUID_PATTERN = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class PhotoViewSet(
    ConditionalListMixin,
    ConditionalRetrieveMixin,
    ConditionalDestroyMixin,
    viewsets.GenericViewSet[Photo],
):
    """The caller's photos. Someone else's photo is a 404 for every method."""

    serializer_class = PhotoSerializer
    token_scopes = PETS  # photos are the pets': pets/read to read, pets/write to write
    lookup_value_regex = UUID_PATTERN
    filterset_class = PhotoFilter
    search_fields = ("caption",)
    ordering_fields = ("created_at",)
    ordering = ("-created_at",)
    # Only the direct upload reads a body here; `uploads` sets its own JSON parser.
    parser_classes = (LimitedMultiPartParser, *RAW_IMAGE_PARSERS)

    def get_queryset(self) -> QuerySet[Photo]:
        return selectors.photo_list(owner=self.request.user)

    def perform_destroy(self, instance: Photo) -> None:
        services.photo_delete(photo=instance, expected_version=self.expected_version)

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = PhotoUploadSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        try:
            photo = services.photo_upload_direct(
                owner=request.user,  # type: ignore[arg-type]
                **upload.validated_data,
            )
        except PhotoTooLargeError as exc:
            raise PhotoTooLarge(exc.max_bytes) from None
        return self._created(
            request, PhotoSerializer(photo, context={"request": request}).data, photo
        )

    def _created(self, request: Request, body: Any, photo: Photo) -> Response:
        location = request.build_absolute_uri(reverse("photos:photo-detail", args=[photo.pk]))
        headers = {"Location": location, "ETag": str(self.object_etag(photo))}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)

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
        upload = upload._replace(url=request.build_absolute_uri(upload.url))
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

    def post(self, request: Request) -> Response:
        form = LocalUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        fields = {name: str(value) for name, value in form.validated_data.items() if name != "file"}
        file = form.validated_data["file"]
        try:
            services.photo_upload_receive(fields=fields, file=file, size=file.size)
        except PolicyError as exc:
            raise PermissionDenied(exc.reason) from None
        except UploadSizeError as exc:
            raise ValidationError({"file": [str(exc)]}) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
