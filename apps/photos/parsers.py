"""Upload parsers with a byte limit: multipart/form-data and raw image/* bodies.

The limit is checked twice: against Content-Length before a byte is read (so an honest
client that is too big gets its 413 at once), and while reading (so a client that sends
no length, or lies about it, is cut off at the limit instead of filling memory or disk).

Django's own limits stay in force and are separate: DATA_UPLOAD_MAX_MEMORY_SIZE caps the
non-file form fields, and FILE_UPLOAD_MAX_MEMORY_SIZE only decides whether an uploaded file
is kept in memory or spooled to a temporary file. Neither limits the file itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any, ClassVar

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from rest_framework import parsers
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from apps.common.errors import message_for
from apps.photos.conf import photo_settings

# Room for the multipart framing and the small fields around the file.
MULTIPART_OVERHEAD = 64 * 1024
LARGE_UPLOAD_PATH = "/v1/photos/uploads"
# A raw body has no file name; Django's file objects need one.
RAW_NAME = "image"


class PhotoTooLarge(APIException):
    """413 in the one error shape, telling the client where large photos go."""

    status_code = 413
    default_code = "request_too_long"

    def __init__(self, max_bytes: int, *, hint: bool = True) -> None:
        message = f"{message_for(413)}: the file is larger than {max_bytes} bytes."
        if hint:
            message += f" Upload larger photos with POST {LARGE_UPLOAD_PATH}."
        super().__init__(message)


def _limit_for(name: str) -> int:
    return int(getattr(photo_settings(), name))


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


class LimitUploadHandler(FileUploadHandler):
    """Counts the file's bytes as they stream in and stops the request past the limit."""

    def __init__(self, request: HttpRequest, *, max_bytes: int, hint: bool) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.hint = hint

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.max_bytes:
            raise PhotoTooLarge(self.max_bytes, hint=self.hint)
        return raw_data  # Passed on to Django's memory or temporary-file handler.

    def file_complete(self, file_size: int) -> None:
        return None


class LimitedMultiPartParser(parsers.MultiPartParser):
    """multipart/form-data whose file may be at most `PHOTOS[limit_setting]` bytes."""

    limit_setting: ClassVar[str] = "DIRECT_MAX_BYTES"
    hint: ClassVar[bool] = True

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> parsers.DataAndFiles[Any, Any]:
        max_bytes = _limit_for(self.limit_setting)
        request: HttpRequest = (parser_context or {})["request"]._request
        length = _declared_length(request)
        if length is not None and length > max_bytes + MULTIPART_OVERHEAD:
            raise PhotoTooLarge(max_bytes, hint=self.hint)
        request.upload_handlers = [
            LimitUploadHandler(request, max_bytes=max_bytes, hint=self.hint),
            *request.upload_handlers,
        ]
        if stream is None:  # DRF calls a parser only when there is a body; keep mypy sure.
            return parsers.DataAndFiles({}, {})
        return super().parse(stream, media_type, parser_context)


class LocalUploadMultiPartParser(LimitedMultiPartParser):
    """The local stand-in for S3's form POST: the presigned limit, no direct-upload hint."""

    limit_setting = "MAX_BYTES"
    hint = False


class RawImageParser(parsers.BaseParser):
    """A raw image body becomes `file`; what it really is gets sniffed later, not trusted."""

    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> parsers.DataAndFiles[Any, Any]:
        max_bytes = photo_settings().DIRECT_MAX_BYTES
        request: HttpRequest = (parser_context or {})["request"]._request
        length = _declared_length(request)
        if length is not None and length > max_bytes:
            raise PhotoTooLarge(max_bytes)
        data = stream.read(max_bytes + 1) if stream is not None else b""
        if len(data) > max_bytes:
            raise PhotoTooLarge(max_bytes)
        upload = SimpleUploadedFile(RAW_NAME, data, content_type=self.media_type)
        return parsers.DataAndFiles({}, {"file": upload})


class JPEGParser(RawImageParser):
    media_type = "image/jpeg"


class PNGParser(RawImageParser):
    media_type = "image/png"


class WebPParser(RawImageParser):
    media_type = "image/webp"


RAW_IMAGE_PARSERS = (JPEGParser, PNGParser, WebPParser)
RAW_MEDIA_TYPES = frozenset(parser.media_type for parser in RAW_IMAGE_PARSERS)


def is_raw_upload(request: Request) -> bool:
    """Whether the body is the image itself (a raw image media type), not a form."""
    return request.content_type.split(";")[0].strip().lower() in RAW_MEDIA_TYPES
