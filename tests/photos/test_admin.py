"""The photos admin: thumbnail previews, the status filter, reprocessing, deletes."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from apps.photos import services
from apps.photos.admin import PhotoAdmin
from apps.photos.models import Photo, PhotoStatus
from tests.factories import UserFactory
from tests.photos import images
from tests.photos.conftest import Bucket
from tests.photos.factories import ReadyPhotoFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client() -> Client:
    client = Client()
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    return client


def test_changelist_shows_thumbnails_through_the_storage(staff_client: Client) -> None:
    photo = ReadyPhotoFactory()
    ReadyPhotoFactory(pending=True)

    html = staff_client.get("/admin/photos/photo/").content.decode()

    assert f'<img src="/media/{photo.thumbnail.name}"' in html
    assert html.count('<img src="/media/') == 1  # The pending photo has nothing to show.


def test_thumbnails_on_s3_are_presigned(staff_client: Client, s3: Bucket) -> None:
    ReadyPhotoFactory()

    html = staff_client.get("/admin/photos/photo/").content.decode()

    assert "X-Amz-Signature=" in html
    assert s3.name in html


def test_change_page_shows_the_display_size(staff_client: Client) -> None:
    photo = ReadyPhotoFactory()

    response = staff_client.get(f"/admin/photos/photo/{photo.pk}/change/")

    assert response.status_code == 200
    assert f"/media/{photo.display.name}" in response.content.decode()


def test_status_filter(staff_client: Client) -> None:
    ReadyPhotoFactory(caption="done one")
    ReadyPhotoFactory(pending=True, caption="waiting one")

    html = staff_client.get("/admin/photos/photo/?status__exact=pending_upload").content.decode()

    assert "1 photo" in html
    assert "?status__exact=failed" in html  # Every status is offered.


def test_photos_cannot_be_added_in_the_admin(staff_client: Client) -> None:
    assert staff_client.get("/admin/photos/photo/add/").status_code == 403


def test_reprocess_action(staff_client: Client) -> None:
    owner = UserFactory()
    photo = services.photo_upload_direct(owner=owner, file=io.BytesIO(images.jpeg()))
    pending = ReadyPhotoFactory(pending=True)
    old_display = photo.display.name

    response = staff_client.post(
        "/admin/photos/photo/",
        {"action": "reprocess", "_selected_action": [str(photo.pk), str(pending.pk)]},
        follow=True,
    )

    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY
    assert photo.display.name != old_display
    messages = [str(m) for m in response.context["messages"]]
    assert "Reprocessed 1 of 2 photos." in messages
    assert any("were not ready" in m for m in messages)


def test_admin_delete_removes_the_files(
    staff_client: Client, commit: Callable[[], Any], media_files: Callable[[], set[str]]
) -> None:
    photo = services.photo_upload_direct(owner=UserFactory(), file=io.BytesIO(images.jpeg()))
    assert media_files()

    with commit():
        staff_client.post(
            "/admin/photos/photo/",
            {"action": "delete_selected", "_selected_action": [str(photo.pk)], "post": "yes"},
        )

    assert not Photo.objects.exists()
    assert media_files() == set()


def test_a_refused_reprocess_keeps_the_photo_ready_and_says_why(
    staff_client: Client, media_root: Any
) -> None:
    photo = services.photo_upload_direct(owner=UserFactory(), file=io.BytesIO(images.jpeg()))
    before = photo.stored_names()
    (media_root / photo.original.name).write_bytes(b"not an image any more")

    response = staff_client.post(
        "/admin/photos/photo/",
        {"action": "reprocess", "_selected_action": [str(photo.pk)]},
        follow=True,
    )

    photo.refresh_from_db()
    assert photo.status == PhotoStatus.READY
    assert photo.stored_names() == before
    assert all((media_root / name).exists() for name in before)
    messages = [str(m) for m in response.context["messages"]]
    assert f"Photo {photo.pk} kept as it was: The file is not a JPEG, PNG or WebP image." in (
        messages
    )
    assert "Reprocessed 0 of 1 photos." in messages


def test_caption_edit_writes_only_the_caption(
    staff_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = ReadyPhotoFactory(caption="old")
    real_get_object = PhotoAdmin.get_object

    def loaded_then_reprocessed(self: PhotoAdmin, *args: Any, **kwargs: Any) -> Photo | None:
        loaded = real_get_object(self, *args, **kwargs)
        # Reprocessing finishes a new version after the admin loaded the row.
        Photo.objects.filter(pk=photo.pk).update(
            display=f"photos/{photo.pk}/display-3.jpg", version=3, width=999
        )
        return loaded

    monkeypatch.setattr(PhotoAdmin, "get_object", loaded_then_reprocessed)

    response = staff_client.post(
        f"/admin/photos/photo/{photo.pk}/change/", {"caption": "new caption"}
    )

    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.caption == "new caption"
    assert (photo.display.name, photo.version, photo.width) == (
        f"photos/{photo.pk}/display-3.jpg",
        3,
        999,
    )


def test_caption_edit_of_a_photo_deleted_meanwhile_does_not_resurrect_it(
    staff_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = ReadyPhotoFactory()
    real_get_object = PhotoAdmin.get_object

    def loaded_then_deleted(self: PhotoAdmin, *args: Any, **kwargs: Any) -> Photo | None:
        loaded = real_get_object(self, *args, **kwargs)
        Photo.objects.filter(pk=photo.pk).delete()
        return loaded

    monkeypatch.setattr(PhotoAdmin, "get_object", loaded_then_deleted)

    response = staff_client.post(f"/admin/photos/photo/{photo.pk}/change/", {"caption": "x"})

    assert response.status_code == 302
    assert not Photo.objects.filter(pk=photo.pk).exists()
