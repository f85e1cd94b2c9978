"""Request and response shapes for photos."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers
from rest_framework.request import Request

from apps.common.fields import StrictCharField
from apps.common.filters import repeated_names
from apps.pets.models import Pet
from apps.photos import selectors, storage
from apps.photos.conf import photo_settings
from apps.photos.formats import EXTENSIONS
from apps.photos.models import (
    CAPTION_MAX_LENGTH,
    FILENAME_MAX_LENGTH,
    MAX_ID,
    Photo,
    PhotoStatus,
)
from apps.photos.parsers import RAW_NAME, is_raw_upload

CONTENT_TYPES = tuple(EXTENSIONS)
SEND_ONCE = "Send this field once."
_DIGITS = re.compile(r"[0-9]+")
UPLOAD_METHODS = ("POST",)


def clean_filename(name: str) -> str:
    """The last path component of a client's file name, without control characters.

    It is only ever shown back; storage keys come from the photo id, so `../../etc/passwd`
    is harmless, but it is stored as `passwd`, not as a path.
    """
    base = PurePosixPath(name.replace("\\", "/")).name
    printable = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    return "" if printable in (".", "..") else printable.strip()[:FILENAME_MAX_LENGTH]


class StrictIntegerField(serializers.IntegerField):
    """An integer that refuses JSON strings, floats and booleans (DRF accepts "5" and 5.0)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class OwnPetField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """One of the caller's pets. Someone else's pet is "does not exist", like an unknown id."""

    def __init__(self, *, strict: bool = False, **kwargs: Any) -> None:
        self.strict = strict  # JSON bodies: an integer only. Forms and queries send text.
        kwargs.setdefault("help_text", "The id of one of your pets.")
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        request: Request = self.context["request"]
        return selectors.pet_choices(owner=request.user)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # RelatedField turns "" into None (no pet); an empty `pet=` is a mistake, not a choice.
        if data == "":
            self.fail("incorrect_type", data_type="empty str")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> Pet:
        if self.strict and (isinstance(data, bool) or not isinstance(data, int)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str):
            # ASCII digits only: str.isdigit() also passes superscripts
            # (int() raises) and other scripts' digits (int() reads Arabic-Indic one as 1).
            # At most 19 digits, so int() never meets its digit limit; more is past bigint.
            if not _DIGITS.fullmatch(data):
                self.fail("incorrect_type", data_type="str")
            if len(data) > len(str(MAX_ID)):
                self.fail("does_not_exist", pk_value=data[:20] + "...")
        if not isinstance(data, int | str) or int(data) > MAX_ID:
            # Would overflow the database's integer: no such pet.
            self.fail("does_not_exist", pk_value=data)
        pet: Pet = super().to_internal_value(data)
        return pet


def _caption() -> StrictCharField:
    return StrictCharField(
        max_length=CAPTION_MAX_LENGTH,
        allow_blank=True,
        required=False,
        default="",
        help_text=f"Up to {CAPTION_MAX_LENGTH} characters.",
    )


class PhotoSerializer(serializers.ModelSerializer[Photo]):
    """A photo as its owner sees it. URLs are short-lived and null until the photo is ready."""

    pet = serializers.PrimaryKeyRelatedField[Pet](read_only=True, allow_null=True)
    filename = serializers.CharField(source="original_filename", read_only=True)
    url = serializers.SerializerMethodField(help_text="The display size (at most 1280 px).")
    thumbnail_url = serializers.SerializerMethodField(help_text="The thumbnail (at most 256 px).")
    original_url = serializers.SerializerMethodField(help_text="The original bytes, as uploaded.")

    class Meta:
        model = Photo
        fields = (
            "id",
            "pet",
            "caption",
            "status",
            "failure_reason",
            "filename",
            "content_type",
            "size",
            "width",
            "height",
            "checksum",
            "url",
            "thumbnail_url",
            "original_url",
            "version",
            "created_at",
            "updated_at",
            "processed_at",
        )
        read_only_fields = fields

    def _url(self, photo: Photo, name: str) -> str | None:
        if photo.status != PhotoStatus.READY or not name:
            return None
        url = storage.url(name)
        request: Request | None = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_url(self, photo: Photo) -> str | None:
        return self._url(photo, photo.display.name)

    def get_thumbnail_url(self, photo: Photo) -> str | None:
        return self._url(photo, photo.thumbnail.name)

    def get_original_url(self, photo: Photo) -> str | None:
        return self._url(photo, photo.original.name)


class PhotoUploadSerializer(serializers.Serializer[Any]):
    """A direct upload: the file, and optionally the pet it shows and a caption."""

    # Give it the request's `data`, and the request in the context. A multipart form sends
    # all three as fields; a raw image body is `file` and takes `pet` and `caption` from the
    # query string. Query values are checked even where a form field overrides them, and a
    # field sent twice is an error rather than a silent pick of the last. `validated_data`
    # adds `filename`, the form file's cleaned name ("" for a raw body). (Not a docstring:
    # that would become the schema's description.)

    file = serializers.FileField(
        help_text="A JPEG, PNG or WebP image; what it is gets checked, not the name or type."
    )
    pet = OwnPetField(required=False, allow_null=True, default=None)
    caption = _caption()

    QUERY_FIELDS = ("pet", "caption")

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        request: Request = self.context["request"]
        raw = is_raw_upload(request)
        query = request.query_params
        repeated = repeated_names(query, self.QUERY_FIELDS)
        repeated += [] if raw else repeated_names(data, tuple(self.fields))
        if repeated:
            raise serializers.ValidationError({name: [SEND_ONCE] for name in repeated})
        given = {name: query[name] for name in self.QUERY_FIELDS if name in query}
        self._check_query(given)
        if raw:
            # DRF skips the parser for an empty body: an empty file, not a missing one.
            body = {"file": data.get("file", SimpleUploadedFile(RAW_NAME, b""))}
        else:
            body = {name: data[name] for name in data}
        values: dict[str, Any] = super().to_internal_value(given | body)
        values["filename"] = "" if raw else clean_filename(values["file"].name or "")
        return values

    def _check_query(self, given: dict[str, Any]) -> None:
        """The query's values, valid even where a form field will override them."""
        errors: dict[str, Any] = {}
        for name, value in given.items():
            try:
                self.fields[name].run_validation(value)
            except serializers.ValidationError as exc:
                errors[name] = exc.detail
        if errors:
            raise serializers.ValidationError(errors)


class PhotoUploadStartSerializer(serializers.Serializer[Any]):
    """What the client will upload; the server picks where it goes."""

    filename = StrictCharField(
        max_length=FILENAME_MAX_LENGTH, help_text="The file's name, for display only."
    )
    content_type = serializers.ChoiceField(choices=CONTENT_TYPES)
    size = StrictIntegerField(min_value=1)  # Replaced in __init__ with the configured maximum.
    pet = OwnPetField(strict=True, required=False, allow_null=True, default=None)
    caption = _caption()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Read at instantiation, not import, so the schema and validation follow settings.
        self.fields["size"] = StrictIntegerField(
            min_value=1,
            max_value=photo_settings().MAX_BYTES,
            help_text="Bytes; the upload may be smaller, never larger. Larger than "
            "PHOTOS_MAX_BYTES is refused.",
        )


class PresignedUploadSerializer(serializers.Serializer[Any]):
    """A multipart/form-data POST: send every field, then `file` last."""

    url = serializers.URLField(help_text="Where to POST the form.")
    method = serializers.ChoiceField(choices=UPLOAD_METHODS)
    # DRF moves declared fields off the class, so this does not shadow Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.CharField(), help_text="Form fields to send unchanged, before `file`."
    )
    expires_at = serializers.DateTimeField(help_text="The form is refused after this time.")


class PhotoUploadStartResponseSerializer(serializers.Serializer[Any]):
    photo = PhotoSerializer()
    upload = PresignedUploadSerializer()


class FormField(serializers.CharField):
    """Any text, compared byte for byte against the signed policy: nothing trimmed or refused
    here (a mismatch, NUL characters included, is the policy's 403, as on S3)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(trim_whitespace=False, help_text="From `upload.fields`.", **kwargs)
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]


class LocalUploadSerializer(serializers.Serializer[Any]):
    """The presigned form, posted to the local endpoint the way S3 would receive it."""

    key = FormField()
    policy = FormField()
    file = serializers.FileField(allow_empty_file=True, help_text="The image; send it last.")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # Not a Python identifier, so it cannot be declared as a class attribute.
        fields["Content-Type"] = FormField()
        return fields


class PhotoEventSerializer(PhotoSerializer):
    """The photo as GET /v1/photos/{id} shows it, without its URLs: they are presigned for
    minutes (and, on local storage, relative to a request's stage), so a client that wants
    the image reads the photo when the event arrives."""

    url = None  # type: ignore[assignment]
    thumbnail_url = None  # type: ignore[assignment]
    original_url = None  # type: ignore[assignment]

    class Meta(PhotoSerializer.Meta):
        fields = tuple(  # type: ignore[assignment]
            name
            for name in PhotoSerializer.Meta.fields
            if name not in ("url", "thumbnail_url", "original_url")
        )
        read_only_fields = fields  # type: ignore[assignment]
