"""Both upload paths, reads and deletes on django-storages' S3Storage against moto."""

from __future__ import annotations

import base64
import datetime
import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.utils import timezone
from rest_framework.test import APIClient

from apps.photos.models import Photo, PhotoStatus
from apps.photos.notifications import handle_notification
from tests.photos import images
from tests.photos.conftest import BUCKET, Bucket
from tests.photos.test_notifications import s3_notification

pytestmark = pytest.mark.django_db


def start(client: APIClient, data: bytes, content_type: str = "image/jpeg") -> Any:
    body = {"filename": "big.jpg", "content_type": content_type, "size": len(data)}
    response = client.post("/v1/photos/uploads", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def post_to_s3(upload: dict[str, Any], data: bytes) -> requests.Response:
    """The client's side of a presigned POST; moto intercepts `requests` under mock_aws."""
    return requests.post(
        upload["url"], data=upload["fields"], files={"file": ("big.jpg", data)}, timeout=30
    )


def test_direct_upload_stores_every_file_in_the_bucket(api: APIClient, s3: Bucket) -> None:
    data = images.jpeg((1600, 1200))

    response = api.post("/v1/photos", data, content_type="image/jpeg")

    assert response.status_code == 201, response.json()
    photo = Photo.objects.get()
    assert s3.keys() == {photo.original.name, photo.display.name, photo.thumbnail.name}
    assert s3.get(photo.original.name) == data
    head = s3.client.head_object(Bucket=BUCKET, Key=photo.display.name)
    assert head["ContentType"] == "image/jpeg"


def test_read_urls_are_short_lived_presigned_s3_urls(api: APIClient, s3: Bucket) -> None:
    photo_id = api.post("/v1/photos", images.png(), content_type="image/png").json()["id"]

    body = api.get(f"/v1/photos/{photo_id}").json()

    for field in ("url", "thumbnail_url", "original_url"):
        url = urlparse(body[field])
        query = parse_qs(url.query)
        assert url.scheme == "https"
        assert BUCKET in url.netloc + url.path
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-Expires"] == ["300"]
        assert "X-Amz-Signature" in query
    fetched = requests.get(body["thumbnail_url"], timeout=30)
    assert fetched.status_code == 200
    assert images.decode(fetched.content).size == (64, 48)


def test_read_urls_live_as_long_as_the_setting_says(
    api: APIClient, s3: Bucket, settings: Any
) -> None:
    photo_id = api.post("/v1/photos", images.png(), content_type="image/png").json()["id"]
    settings.PHOTOS = {**settings.PHOTOS, "URL_EXPIRES": 120}

    body = api.get(f"/v1/photos/{photo_id}").json()

    for field in ("url", "thumbnail_url", "original_url"):
        assert parse_qs(urlparse(body[field]).query)["X-Amz-Expires"] == ["120"]


def test_presigned_post_carries_the_policy_conditions(api: APIClient, s3: Bucket) -> None:
    before = timezone.now()

    body = start(api, images.jpeg(), content_type="image/png")

    photo = Photo.objects.get()
    upload = body["upload"]
    fields = upload["fields"]
    assert upload["method"] == "POST"
    assert BUCKET in upload["url"]
    assert fields["key"] == f"uploads/{photo.pk}/original"
    assert fields["Content-Type"] == "image/png"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    assert {"x-amz-credential", "x-amz-date", "x-amz-signature", "policy"} <= set(fields)
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": BUCKET} in conditions
    assert {"key": fields["key"]} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, len(images.jpeg())] in conditions
    expiration = datetime.datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert before + datetime.timedelta(seconds=590) < expiration
    assert expiration < before + datetime.timedelta(seconds=610)
    assert datetime.datetime.fromisoformat(upload["expires_at"]) - expiration < datetime.timedelta(
        seconds=2
    )
    assert s3.keys() == set()  # Nothing is stored until the client posts.


def test_presigned_flow_end_to_end(api: APIClient, s3: Bucket, commit: Callable[[], Any]) -> None:
    data = images.jpeg((3000, 2000))
    upload = start(api, data)["upload"]

    posted = post_to_s3(upload, data)
    assert posted.status_code == 204
    key = upload["fields"]["key"]
    assert s3.keys() == {key}
    with commit():
        result = handle_notification(s3_notification(key, size=len(data)), None)

    assert result == {"records": [{"bucket": BUCKET, "key": key, "outcome": "ready"}]}
    photo = Photo.objects.get()
    assert photo.status == PhotoStatus.READY
    assert (photo.width, photo.height, photo.size) == (3000, 2000, len(data))
    # The original moved out of the upload prefix; processing wrote no new upload events.
    assert s3.keys() == {photo.original.name, photo.display.name, photo.thumbnail.name}
    assert s3.keys("uploads/") == set()
    assert api.get(f"/v1/photos/{photo.pk}").json()["thumbnail_url"].startswith("https://")


def test_a_20_mb_photo_through_the_presigned_flow(
    api: APIClient, s3: Bucket, commit: Callable[[], Any], big_jpeg: bytes
) -> None:
    upload = start(api, big_jpeg)["upload"]
    assert post_to_s3(upload, big_jpeg).status_code == 204

    with commit():
        handle_notification(s3_notification(upload["fields"]["key"]), None)

    body = api.get("/v1/photos").json()["results"][0]
    assert (body["status"], body["size"]) == ("ready", len(big_jpeg))
    assert s3.get(Photo.objects.get().original.name) == big_jpeg


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"text pretending to be a jpeg", "The file is not a JPEG, PNG or WebP image."),
        (images.truncated_jpeg(), "The image is damaged or truncated."),
        (images.bomb_png(60_000, 60_000), "The image has more than 40000000 pixels."),
    ],
    ids=["text", "truncated", "bomb"],
)
def test_bad_upload_fails_and_leaves_no_object(
    api: APIClient, s3: Bucket, commit: Callable[[], Any], data: bytes, reason: str
) -> None:
    upload = start(api, data)["upload"]
    post_to_s3(upload, data)

    with commit():
        result = handle_notification(s3_notification(upload["fields"]["key"]), None)

    assert result["records"][0]["outcome"] == "failed"
    photo = Photo.objects.get()
    assert (photo.status, photo.failure_reason) == (PhotoStatus.FAILED, reason)
    assert s3.keys() == set()


def test_object_over_the_limit_is_refused_before_download(
    api: APIClient, s3: Bucket, commit: Callable[[], Any], settings: Any
) -> None:
    upload = start(api, images.jpeg())["upload"]
    s3.put(upload["fields"]["key"], b"\xff" * 5000)  # Bigger than the policy allowed.
    settings.PHOTOS = {**settings.PHOTOS, "MAX_BYTES": 4000}

    with commit():
        handle_notification(s3_notification(upload["fields"]["key"]), None)

    photo = Photo.objects.get()
    assert photo.failure_reason == "The file is larger than 4000 bytes."
    assert s3.keys() == set()


def test_delete_removes_every_object(api: APIClient, s3: Bucket, commit: Callable[[], Any]) -> None:
    photo_id = api.post("/v1/photos", images.jpeg(), content_type="image/jpeg").json()["id"]
    assert len(s3.keys()) == 3

    with commit():
        assert api.delete(f"/v1/photos/{photo_id}").status_code == 204

    assert s3.keys() == set()


def test_deleting_a_pet_leaves_no_orphan_objects(
    api: APIClient, s3: Bucket, commit: Callable[[], Any], pet: Any
) -> None:
    for _ in range(2):
        file = io.BytesIO(images.jpeg())
        file.name = "a.jpg"
        api.post("/v1/photos", {"file": file, "pet": pet.pk}, format="multipart")
    kept = api.post("/v1/photos", images.jpeg(), content_type="image/jpeg").json()["id"]
    assert len(s3.keys()) == 9

    with commit():
        assert api.delete(f"/v1/pets/{pet.pk}").status_code == 204

    assert list(Photo.objects.values_list("pk", flat=True)) == [Photo.objects.get(pk=kept).pk]
    assert s3.keys() == set(Photo.objects.get().stored_names())


def test_deleting_a_user_leaves_no_orphan_objects(
    api: APIClient, s3: Bucket, commit: Callable[[], Any], user: Any
) -> None:
    api.post("/v1/photos", images.jpeg(), content_type="image/jpeg")
    start(api, images.jpeg())

    with commit():
        user.delete()

    assert not Photo.objects.exists()
    assert s3.keys() == set()


def test_a_rolled_back_delete_keeps_the_objects(api: APIClient, s3: Bucket) -> None:
    api.post("/v1/photos", images.jpeg(), content_type="image/jpeg")
    photo = Photo.objects.get()

    photo.delete()  # In the test's transaction, which never commits: no callback runs.

    assert len(s3.keys()) == 3


def test_the_local_upload_endpoint_does_not_exist_with_s3_storage(
    api: APIClient, s3: Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even a validly signed local form: on S3, only the bucket receives uploads."""
    from apps.photos import storage, uploads

    photo_id = start(api, images.jpeg())["photo"]["id"]
    with monkeypatch.context() as patched:
        patched.setattr(storage, "is_s3", lambda store=None: False)
        form = uploads.presign(
            photo_id=Photo.objects.get().pk,
            content_type="image/jpeg",
            max_bytes=10_000,
            expires_in=600,
            now=timezone.now(),
        )
    file = io.BytesIO(images.jpeg())
    file.name = "a.jpg"

    signed = APIClient().post(
        "/v1/photos/uploads/local", {**form.fields, "file": file}, format="multipart"
    )
    empty = APIClient().post("/v1/photos/uploads/local")
    read = APIClient().get("/v1/photos/uploads/local/")

    for response in (signed, empty, read):
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}
    assert s3.keys() == set()
    assert Photo.objects.get(pk=photo_id).status == PhotoStatus.PENDING_UPLOAD
