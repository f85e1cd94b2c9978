"""One photo followed end to end: the upload's trace id reaches its processing's log lines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.common.logging import JSONFormatter
from apps.photos.models import Photo
from apps.photos.notifications import handle_notification
from tests import emf
from tests.photos import images
from tests.photos.conftest import Bucket
from tests.photos.test_notifications import s3_notification

pytestmark = pytest.mark.django_db

UPLOAD_TRACE = "1-5e9f0c65-1de4d666d4dd26aced652b6c"
PROCESSING_TRACE = "1-67891233-abcdef012345678912345678"


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JSONFormatter())
        self.raw: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.raw.append(self.format(record))

    def docs(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.raw]


@pytest.fixture
def lines() -> Iterator[_Lines]:
    capture = _Lines()
    loggers = [logging.getLogger(name) for name in ("apps", "gatewayproject")]
    for logger in loggers:
        logger.addHandler(capture)
    try:
        yield capture
    finally:
        for logger in loggers:
            logger.removeHandler(capture)


def test_processing_lines_carry_the_uploads_trace_id(
    api: APIClient,
    s3: Bucket,
    commit: Callable[[], Any],
    lines: _Lines,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    data = images.jpeg((64, 48))
    body = {"filename": "a.jpg", "content_type": "image/jpeg", "size": len(data)}
    response = api.post(
        "/v1/photos/uploads", body, format="json", HTTP_X_AMZN_TRACE_ID=f"Root={UPLOAD_TRACE}"
    )
    photo = Photo.objects.get(pk=response.json()["photo"]["id"])
    key = response.json()["upload"]["fields"]["key"]
    s3.put(key, data)
    assert photo.trace_id == UPLOAD_TRACE
    (upload_line,) = [d for d in lines.docs() if d["logger"] == "gatewayproject.request"]
    assert upload_line["xrayTraceId"] == UPLOAD_TRACE

    # The photo function: another invocation, with a trace of its own.
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"Root={PROCESSING_TRACE};Sampled=1")
    before = len(lines.raw)
    with commit():
        handle_notification(s3_notification(key, size=len(data)), None)

    processing = lines.docs()[before:]
    assert processing
    assert {d.get("xrayTraceId") for d in processing} == {PROCESSING_TRACE}
    (metric,) = [d for d in processing if d["message"] == "photo processed"]
    assert metric["uploadTraceId"] == UPLOAD_TRACE
    assert (metric["Outcome"], metric["PhotosProcessed"], metric["PhotoBytes"]) == (
        "ready",
        1,
        len(data),
    )
    assert metric["PhotoProcessingTime"] > 0
    assert metric["photoId"] == str(photo.pk)
    assert emf.problems(lines.raw[before + processing.index(metric)]) == []


def test_a_refused_direct_upload_counts_as_rejected(
    api: APIClient, lines: _Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    file = io.BytesIO(images.jpeg((640, 480))[:300])  # cut short: does not decode
    file.name = "cat.jpg"
    response = api.post(
        "/v1/photos",
        {"file": file},
        format="multipart",
        HTTP_X_AMZN_TRACE_ID=f"Root={UPLOAD_TRACE}",
    )

    assert response.status_code == 400
    (metric,) = [d for d in lines.docs() if d["message"] == "photo processed"]
    assert (metric["Outcome"], metric["uploadTraceId"], metric["xrayTraceId"]) == (
        "rejected",
        UPLOAD_TRACE,
        UPLOAD_TRACE,
    )
