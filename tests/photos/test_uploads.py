"""The presigned flow on filesystem storage: start, the signed local form post, processing."""

from __future__ import annotations

import contextlib
import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import set_script_prefix
from django.utils import timezone
from rest_framework.test import APIClient

from apps.photos import services, storage
from apps.photos.models import Photo, PhotoStatus
from tests.photos import images

pytestmark = pytest.mark.django_db


def start(client: APIClient, data: bytes, content_type: str = "image/jpeg", **extra: Any) -> Any:
    body = {"filename": "big.jpg", "content_type": content_type, "size": len(data), **extra}
    return client.post("/v1/photos/uploads", body, format="json")


def post_form(upload: dict[str, Any], data: bytes, **overrides: str) -> Any:
    """What any HTTP client does with the presigned answer: every field, then the file."""
    file = io.BytesIO(data)
    file.name = "whatever.bin"
    fields = {**upload["fields"], **overrides}
    return APIClient().post(upload["url"], {**fields, "file": file}, format="multipart")


def test_start_creates_a_pending_photo_and_a_form(api: APIClient, user: Any, pet: Any) -> None:
    before = timezone.now()

    response = start(api, images.jpeg(), pet=pet.pk, caption="big one")

    assert response.status_code == 201, response.json()
    photo = Photo.objects.get()
    body = response.json()
    assert response["Location"] == f"http://testserver/v1/photos/{photo.pk}"
    assert body["photo"]["id"] == str(photo.pk)
    assert (body["photo"]["status"], body["photo"]["pet"]) == ("pending_upload", pet.pk)
    assert (photo.owner, photo.caption, photo.original_filename) == (user, "big one", "big.jpg")
    upload = body["upload"]
    assert upload["url"] == "http://testserver/v1/photos/uploads/local"
    assert upload["method"] == "POST"
    assert upload["fields"]["key"] == f"uploads/{photo.pk}/original"
    assert upload["fields"]["Content-Type"] == "image/jpeg"
    expires_at = datetime.datetime.fromisoformat(upload["expires_at"])
    assert before + datetime.timedelta(seconds=599) < expires_at
    assert expires_at <= timezone.now() + datetime.timedelta(seconds=600)


def test_form_post_stores_and_processes_at_once(
    api: APIClient, commit: Callable[[], Any], media_files: Callable[[], set[str]]
) -> None:
    data = images.jpeg((2000, 1500))
    upload = start(api, data).json()["upload"]

    with commit():
        response = post_form(upload, data)

    assert response.status_code == 204
    assert response.content == b""
    photo = Photo.objects.get()
    assert photo.status == PhotoStatus.READY
    assert (photo.width, photo.height, photo.size) == (2000, 1500, len(data))
    # The upload key was moved to its final place; nothing is left under the upload prefix.
    assert media_files() == {photo.original.name, photo.display.name, photo.thumbnail.name}
    body = api.get(f"/v1/photos/{photo.pk}").json()
    assert body["status"] == "ready"
    assert body["thumbnail_url"].startswith("http://testserver/media/photos/")


def test_a_20_mb_photo_goes_through_the_presigned_flow(
    api: APIClient, commit: Callable[[], Any], big_jpeg: bytes
) -> None:
    assert 20 * 1000 * 1000 <= len(big_jpeg) <= 25 * 1024 * 1024
    upload = start(api, big_jpeg).json()["upload"]

    with commit():
        assert post_form(upload, big_jpeg).status_code == 204

    body = api.get("/v1/photos").json()["results"][0]
    assert (body["status"], body["size"]) == ("ready", len(big_jpeg))
    assert body["thumbnail_url"]


def test_png_declared_as_jpeg_is_recorded_as_png(api: APIClient) -> None:
    data = images.png()
    upload = start(api, data, content_type="image/jpeg").json()["upload"]

    assert post_form(upload, data).status_code == 204

    photo = Photo.objects.get()
    assert (photo.status, photo.content_type) == (PhotoStatus.READY, "image/png")
    assert photo.original.name == f"photos/{photo.pk}/original-2.png"  # Claimed as version 2.


def test_mpo_goes_through_the_presigned_flow_as_jpeg(api: APIClient) -> None:
    data = images.mpo()
    upload = start(api, data).json()["upload"]

    assert post_form(upload, data).status_code == 204

    photo = Photo.objects.get()
    assert (photo.status, photo.content_type) == (PhotoStatus.READY, "image/jpeg")
    assert (photo.width, photo.height) == (640, 480)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"just text, named big.jpg", "The file is not a JPEG, PNG or WebP image."),
        (images.truncated_jpeg(), "The image is damaged or truncated."),
        (images.bomb_png(50_000, 50_000), "The image has more than 40000000 pixels."),
    ],
    ids=["text", "truncated", "bomb"],
)
def test_bad_content_fails_the_photo_and_deletes_the_bytes(
    api: APIClient,
    commit: Callable[[], Any],
    media_files: Callable[[], set[str]],
    data: bytes,
    reason: str,
) -> None:
    upload = start(api, data).json()["upload"]

    with commit():
        response = post_form(upload, data)

    assert response.status_code == 204  # S3 accepts any bytes too; processing judges them.
    photo = Photo.objects.get()
    assert (photo.status, photo.failure_reason) == (PhotoStatus.FAILED, reason)
    assert photo.stored_names() == []
    assert media_files() == set()
    body = api.get(f"/v1/photos/{photo.pk}").json()
    assert (body["status"], body["failure_reason"], body["url"]) == ("failed", reason, None)


def test_tampered_policy_is_403(api: APIClient) -> None:
    upload = start(api, images.jpeg()).json()["upload"]
    policy = upload["fields"]["policy"]

    response = post_form(upload, images.jpeg(), policy=policy[:-2] + "xx")

    assert response.status_code == 403
    assert response.json()["message"].startswith("Invalid according to Policy")
    assert Photo.objects.get().status == PhotoStatus.PENDING_UPLOAD


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("key", "uploads/../../etc/passwd"),
        ("key", "photos/x/original"),
        ("Content-Type", "image/png"),
    ],
)
def test_fields_that_break_the_policy_are_403(
    api: APIClient, media_files: Callable[[], set[str]], field: str, value: str
) -> None:
    upload = start(api, images.jpeg()).json()["upload"]

    response = post_form(upload, images.jpeg(), **{field: value})

    assert response.status_code == 403
    assert "Policy Condition failed" in response.json()["message"]
    assert media_files() == set()


def test_expired_form_is_403(user: Any) -> None:
    long_ago = timezone.now() - datetime.timedelta(minutes=11)
    _, upload = services.photo_upload_start(
        owner=user, filename="a.jpg", content_type="image/jpeg", size=10_000, now=long_ago
    )
    form = {"url": "/v1/photos/uploads/local", "fields": upload.fields}

    response = post_form(form, images.jpeg())

    assert response.status_code == 403
    assert response.json()["message"] == "Invalid according to Policy: Policy expired."


def test_a_form_works_once(api: APIClient) -> None:
    data = images.jpeg()
    upload = start(api, data).json()["upload"]
    assert post_form(upload, data).status_code == 204

    again = post_form(upload, data)

    assert again.status_code == 403
    assert "already used" in again.json()["message"]


def test_more_bytes_than_declared_is_400(
    api: APIClient, media_files: Callable[[], set[str]]
) -> None:
    data = images.jpeg()
    upload = start(api, data[:100]).json()["upload"]

    response = post_form(upload, data)

    assert response.status_code == 400
    assert response.json()["errors"]["file"] == [
        "Your proposed upload exceeds the maximum allowed size."
    ]
    assert Photo.objects.get().status == PhotoStatus.PENDING_UPLOAD
    assert media_files() == set()


def test_empty_file_is_400(api: APIClient) -> None:
    upload = start(api, images.jpeg()).json()["upload"]

    response = post_form(upload, b"")

    assert response.status_code == 400
    assert "smaller than the minimum" in response.json()["errors"]["file"][0]


def test_over_the_presigned_limit_is_413_without_a_hint(api: APIClient, settings: Any) -> None:
    upload = start(api, images.jpeg()).json()["upload"]
    settings.PHOTOS = {**settings.PHOTOS, "MAX_BYTES": 1000}

    response = post_form(upload, b"\xff" * 200_000)

    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long: the file is larger than 1000 bytes."}


def test_missing_form_fields_are_400(api: APIClient) -> None:
    upload = start(api, images.jpeg()).json()["upload"]
    fields = dict(upload["fields"])
    del fields["policy"]

    response = APIClient().post(upload["url"], fields, format="multipart")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"policy", "file"}


def test_form_for_a_deleted_photo_is_refused(
    api: APIClient, media_files: Callable[[], set[str]]
) -> None:
    upload = start(api, images.jpeg()).json()["upload"]
    Photo.objects.all().delete()

    assert post_form(upload, images.jpeg()).status_code == 403
    assert media_files() == set()


# --- Start: validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"content_type": "image/jpeg", "size": 10}, "filename"),
        ({"filename": "a.gif", "content_type": "image/gif", "size": 10}, "content_type"),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": 0}, "size"),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": -5}, "size"),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": 25 * 1024 * 1024 + 1}, "size"),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": "100"}, "size"),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": 1.5}, "size"),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": True}, "size"),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": 9, "pet": "1"}, "pet"),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": 9, "pet": 999999}, "pet"),
        ({"filename": 42, "content_type": "image/jpeg", "size": 10}, "filename"),
        (
            {"filename": "a.jpg", "content_type": "image/jpeg", "size": 9, "caption": "c" * 501},
            "caption",
        ),
    ],
)
def test_start_rejects_bad_input(api: APIClient, body: dict[str, Any], field: str) -> None:
    response = api.post("/v1/photos/uploads", body, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {field}
    assert not Photo.objects.exists()


@pytest.mark.parametrize(
    "pet_id", ["", "abc", -1, 0, 1.5, True, 2**63, 10**30, [1], {"id": 1}, "\u0661"]
)
def test_start_rejects_bad_pet_values(api: APIClient, pet: Any, pet_id: Any) -> None:
    body = {"filename": "a.jpg", "content_type": "image/jpeg", "size": 9, "pet": pet_id}

    response = api.post("/v1/photos/uploads", body, format="json")

    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"pet"}
    assert not Photo.objects.exists()


@pytest.mark.parametrize("caption", ["a\x00b", ["a"], 5, "c" * 501, {"x": "y"}])
def test_start_rejects_bad_captions(api: APIClient, caption: Any) -> None:
    body = {"filename": "a.jpg", "content_type": "image/jpeg", "size": 9, "caption": caption}

    response = api.post("/v1/photos/uploads", body, format="json")

    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"caption"}


def test_start_with_a_null_pet_has_no_pet(api: APIClient) -> None:
    body = {"filename": "a.jpg", "content_type": "image/jpeg", "size": 9, "pet": None}

    response = api.post("/v1/photos/uploads", body, format="json")

    assert response.status_code == 201
    assert response.json()["photo"]["pet"] is None


def test_start_refuses_another_owners_pet(api: APIClient, other_pet: Any) -> None:
    response = start(api, images.jpeg(), pet=other_pet.pk)

    assert response.status_code == 400
    assert "does not exist" in response.json()["errors"]["pet"][0]


def test_start_sanitises_a_traversal_filename(api: APIClient) -> None:
    response = start(api, images.jpeg(), filename="..\\..\\windows\\system32\\evil.jpg")

    photo = Photo.objects.get()
    assert response.json()["photo"]["filename"] == "evil.jpg"
    assert photo.original.name == storage.upload_key(photo.pk)


def test_start_needs_json(api: APIClient) -> None:
    response = api.post("/v1/photos/uploads", {"filename": "a"}, format="multipart")

    assert response.status_code == 415


def test_deleting_a_pending_photo_deletes_an_upload_that_landed(
    api: APIClient, commit: Callable[[], Any], media_files: Callable[[], set[str]]
) -> None:
    body = start(api, images.jpeg()).json()
    storage.storage().save(body["upload"]["fields"]["key"], io.BytesIO(images.jpeg()))
    assert media_files()

    with commit():
        assert api.delete(f"/v1/photos/{body['photo']['id']}").status_code == 204

    assert media_files() == set()


def test_urls_carry_the_stage_prefix(api: APIClient) -> None:
    # What the WSGI handler does for a request under an API Gateway stage (the test client
    # does not), via FORCE_SCRIPT_NAME or SCRIPT_NAME.
    set_script_prefix("/prod/")
    try:
        response = start(api, images.jpeg())
    finally:
        set_script_prefix("/")

    photo_id = response.json()["photo"]["id"]
    assert response.json()["upload"]["url"] == "http://testserver/prod/v1/photos/uploads/local"
    assert response["Location"] == f"http://testserver/prod/v1/photos/{photo_id}"


# --- A form posted twice: one upload, never an overwrite ---------------------------------


def test_a_reused_form_never_overwrites_a_processed_original(
    api: APIClient, commit: Callable[[], Any], media_root: Any, media_files: Callable[[], set[str]]
) -> None:
    data = images.jpeg()
    upload = start(api, data).json()["upload"]
    with commit():
        assert post_form(upload, data).status_code == 204
    photo = Photo.objects.get()
    before = (photo.version, (media_root / photo.original.name).read_bytes(), media_files())

    again = post_form(upload, images.png())

    assert again.status_code == 403
    assert again.json()["message"] == "Invalid according to Policy: this upload was already used."
    photo.refresh_from_db()
    assert (photo.version, (media_root / photo.original.name).read_bytes(), media_files()) == before


@pytest.mark.django_db(transaction=True)
def test_a_form_posted_twice_at_once_is_stored_and_processed_once(
    api: APIClient, monkeypatch: pytest.MonkeyPatch, media_files: Callable[[], set[str]]
) -> None:
    import threading

    from django.core.files.storage import FileSystemStorage
    from django.db import connection

    data = images.jpeg()
    upload = start(api, data).json()["upload"]
    # Hold every thread that gets as far as storing until the other arrives (or 2 s pass),
    # so a check-then-act receiver would let both through.
    barrier = threading.Barrier(2, timeout=2)
    real_save = FileSystemStorage.save
    saves: list[str] = []

    def save_together(self: Any, name: Any, content: Any, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("uploads/"):
            saves.append(name)
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
        return real_save(self, name, content, *args, **kwargs)

    monkeypatch.setattr(FileSystemStorage, "save", save_together)
    statuses: list[int] = []

    def post() -> None:
        try:
            statuses.append(post_form(upload, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)  # a bound against a hang only, generous for a loaded machine
    assert not any(thread.is_alive() for thread in threads)

    assert sorted(statuses) == [204, 403]
    assert len(saves) == 1
    photo = Photo.objects.get()
    assert (photo.status, photo.version) == (PhotoStatus.READY, 3)  # Claimed once, ready once.
    assert set(photo.stored_names()) <= media_files()
