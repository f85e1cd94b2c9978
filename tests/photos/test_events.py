"""Photo domain events: ready, failed, deleted (cascades included), only once committed."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from apps.common.events import DomainEvent
from apps.photos import services, storage
from apps.photos.models import Photo
from tests.factories import PetFactory
from tests.photos import images
from tests.photos.factories import ReadyPhotoFactory

pytestmark = pytest.mark.django_db

Commit = Callable[[], AbstractContextManager[Any]]


def pending(user: Any, data: bytes) -> Photo:
    photo, _ = services.photo_upload_start(
        owner=user, filename="a.jpg", content_type="image/jpeg", size=max(1, len(data))
    )
    storage.storage().save(storage.upload_key(photo.pk), io.BytesIO(data))
    return photo


def test_a_direct_upload_publishes_ready_with_the_photo_but_no_urls(
    api: APIClient, user: Any, published: list[DomainEvent], commit: Commit
) -> None:
    with commit():
        body = api.post(
            "/v1/photos", {"file": io.BytesIO(images.jpeg())}, format="multipart"
        ).json()

    (event,) = published
    assert (event.type, event.object_id, event.owner_id) == ("photo.ready", body["id"], user.pk)
    assert event.version == body["version"]
    assert event.data == {
        k: v for k, v in body.items() if k not in ("url", "thumbnail_url", "original_url")
    }


def test_processing_an_upload_publishes_ready_with_the_processed_facts(
    user: Any, published: list[DomainEvent], commit: Commit
) -> None:
    photo = pending(user, images.jpeg())
    with commit():
        services.photo_process(photo_id=photo.pk)

    (event,) = published
    photo.refresh_from_db()
    assert (event.type, event.object_id, event.version) == (
        "photo.ready",
        str(photo.pk),
        photo.version,
    )
    assert event.data is not None
    assert (event.data["status"], event.data["width"]) == ("ready", photo.width)


def test_bad_content_publishes_failed_with_the_reason(
    user: Any, published: list[DomainEvent], commit: Commit
) -> None:
    photo = pending(user, b"not an image")
    with commit():
        services.photo_process(photo_id=photo.pk)

    (event,) = published
    assert event.type == "photo.failed"
    assert event.data is not None
    assert event.data["failure_reason"]


def test_a_replayed_upload_event_publishes_nothing_more(
    user: Any, published: list[DomainEvent], commit: Commit
) -> None:
    photo = pending(user, images.jpeg())
    with commit():
        services.photo_process(photo_id=photo.pk)
        services.photo_process(photo_id=photo.pk)

    assert [e.type for e in published] == ["photo.ready"]


def test_deleting_a_pet_publishes_its_photos_deletion(
    user: Any, published: list[DomainEvent], commit: Commit
) -> None:
    pet = PetFactory(owner=user)
    photo = ReadyPhotoFactory(owner=user, pet=pet)
    with commit():
        pet.delete()

    assert [(e.type, e.object_id, e.data) for e in published] == [
        ("photo.deleted", str(photo.pk), None)
    ]


def test_a_rolled_back_delete_publishes_nothing(
    user: Any, published: list[DomainEvent], commit: Commit
) -> None:
    photo = ReadyPhotoFactory(owner=user)
    photo_id = photo.pk

    def delete_then_fail() -> None:
        with transaction.atomic():
            services.photo_delete(photo=photo)
            raise RuntimeError("rolled back")

    with commit(), pytest.raises(RuntimeError):
        delete_then_fail()

    assert published == []
    assert Photo.objects.filter(pk=photo_id).exists()


def test_the_s3_entry_point_publishes_photo_ready(
    api: APIClient, s3: Any, published: list[DomainEvent], commit: Commit
) -> None:
    from apps.photos.triggers import dispatch
    from tests.photos.test_notifications import pending_with_upload, s3_notification

    photo, key = pending_with_upload(s3, api, images.jpeg((90, 60)))
    with commit():
        dispatch(s3_notification(key), None)

    (event,) = published
    assert (event.type, event.object_id) == ("photo.ready", str(photo.pk))
    assert event.data is not None
    assert (event.data["status"], event.data["width"], event.data["height"]) == ("ready", 90, 60)
