"""Conditional requests on /v1/photos: ETags from identity and version, 304, If-Match on DELETE."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.photos import processing
from apps.photos.models import Photo, PhotoStatus
from tests.photos import images
from tests.photos.factories import ReadyPhotoFactory

pytestmark = pytest.mark.django_db


def upload(api: APIClient) -> Any:
    file = io.BytesIO(images.jpeg())
    file.name = "cat.jpg"
    return api.post("/v1/photos", {"file": file}, format="multipart")


def test_an_upload_answers_with_the_photos_tag(api: APIClient) -> None:
    created = upload(api)

    read = api.get(f"/v1/photos/{created.json()['id']}")

    assert created.status_code == 201
    assert created["ETag"] == read["ETag"]
    assert set(read["Cache-Control"].split(", ")) == {"private", "no-cache"}


def test_a_presigned_upload_start_answers_with_the_pending_photos_tag(api: APIClient) -> None:
    started = api.post(
        "/v1/photos/uploads",
        {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10},
        format="json",
    )

    read = api.get(f"/v1/photos/{started.json()['photo']['id']}")

    assert started["ETag"] == read["ETag"]


def test_if_none_match_is_304_until_processing_changes_the_photo(api: APIClient, user: Any) -> None:
    photo = ReadyPhotoFactory(owner=user, pending=True)
    path = f"/v1/photos/{photo.pk}"
    pending = api.get(path)["ETag"]
    assert api.get(path, HTTP_IF_NONE_MATCH=pending).status_code == 304

    # Processing claims the photo (the claim bumps `version`): the pending tag goes stale.
    claimed = processing.claim(photo.pk, statuses=[PhotoStatus.PENDING_UPLOAD], now=timezone.now())
    assert claimed is not None

    response = api.get(path, HTTP_IF_NONE_MATCH=pending)
    assert response.status_code == 200
    assert response.json()["status"] == "processing"
    assert response["ETag"] != pending


def test_the_list_answers_304(api: APIClient, user: Any) -> None:
    ReadyPhotoFactory.create_batch(2, owner=user)
    tag = api.get("/v1/photos")["ETag"]

    assert api.get("/v1/photos", HTTP_IF_NONE_MATCH=tag).status_code == 304
    ReadyPhotoFactory(owner=user)
    assert api.get("/v1/photos", HTTP_IF_NONE_MATCH=tag).status_code == 200


def test_a_stale_delete_is_412_and_keeps_the_photo_and_its_files(
    api: APIClient, commit: Callable[[], Any], media_files: Callable[[], set[str]]
) -> None:
    photo_id = upload(api).json()["id"]
    path = f"/v1/photos/{photo_id}"
    seen = api.get(path)["ETag"]
    Photo.objects.filter(pk=photo_id).update(version=99)  # changed since it was read

    with commit():
        response = api.delete(path, HTTP_IF_MATCH=seen)

    assert (response.status_code, response.json()) == (412, {"message": "Precondition Failed"})
    assert response["ETag"] == api.get(path)["ETag"] != seen
    assert Photo.objects.filter(pk=photo_id).exists()
    assert len(media_files()) == 3


def test_a_delete_with_the_current_tag_deletes(
    api: APIClient, commit: Callable[[], Any], media_files: Callable[[], set[str]]
) -> None:
    photo_id = upload(api).json()["id"]
    path = f"/v1/photos/{photo_id}"

    with commit():
        response = api.delete(path, HTTP_IF_MATCH=api.get(path)["ETag"])

    assert response.status_code == 204
    assert not Photo.objects.exists()
    assert media_files() == set()


def test_required_if_match_applies_to_photo_deletes(
    api: APIClient, user: Any, settings: Any
) -> None:
    settings.CONDITIONAL_REQUESTS = {"REQUIRE_IF_MATCH": True}
    photo = ReadyPhotoFactory(owner=user)

    response = api.delete(f"/v1/photos/{photo.pk}")

    assert (response.status_code, response.json()) == (428, {"message": "Precondition Required"})
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_photos_have_no_update_routes_to_make_conditional(api: APIClient, user: Any) -> None:
    photo = ReadyPhotoFactory(owner=user)

    assert api.put(f"/v1/photos/{photo.pk}", {}, format="json").status_code == 405
