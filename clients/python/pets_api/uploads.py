"""Send a presigned upload: the form `POST /v1/photos/uploads` returned, then the file."""

from __future__ import annotations

from typing import IO

import httpx

from pets_api.client import raise_for_error
from pets_api_client.models import PresignedUpload


def send_upload(
    upload: PresignedUpload,
    file: bytes | IO[bytes],
    *,
    filename: str = "upload",
    timeout: float = 120.0,
    transport: httpx.BaseTransport | None = None,
) -> None:
    """POST `upload.fields` unchanged and then `file`, as multipart/form-data, to `upload.url`
    (S3, or the local stand-in). No key is sent: the signed form is the authorisation, and
    the bucket is another host. Errors raise `pets_api.errors.ApiError` subclasses."""
    fields = {name: str(value) for name, value in upload.fields.additional_properties.items()}
    content_type = fields.get("Content-Type", "application/octet-stream")
    with httpx.Client(
        timeout=timeout, transport=transport, event_hooks={"response": [raise_for_error]}
    ) as http:
        # httpx writes the data fields first and the files after: S3 wants `file` last.
        http.request(
            upload.method,
            upload.url,
            data=fields,
            files={"file": (filename, file, content_type)},
        )
