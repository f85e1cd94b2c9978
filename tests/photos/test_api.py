"""POST/GET/DELETE /v1/photos on filesystem storage: direct uploads, reads, ownership, errors."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from rest_framework.test import APIClient

from apps.photos.models import Photo, PhotoStatus
from tests.factories import PetFactory
from tests.photos import images
from tests.photos.factories import ReadyPhotoFactory

pytestmark = pytest.mark.django_db


def upload(client: APIClient, data: bytes, name: str = "cat.jpg", **fields: Any) -> Any:
    file = io.BytesIO(data)
    file.name = name
    return client.post("/v1/photos", {"file": file, **fields}, format="multipart")


MULTIPART = MULTIPART_CONTENT


def named(data: bytes, name: str = "cat.jpg") -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def upload_raw(client: APIClient, data: bytes, content_type: str, query: str = "") -> Any:
    return client.post(f"/v1/photos{query}", data, content_type=content_type)


# --- Direct upload -------------------------------------------------------------------


def test_multipart_upload_is_ready_with_measured_facts(
    api: APIClient, user: Any, pet: Any, media_files: Callable[[], set[str]]
) -> None:
    data = images.jpeg((1600, 1200))

    response = upload(api, data, pet=pet.pk, caption="Rex at the beach")

    assert response.status_code == 201, response.json()
    body = response.json()
    photo = Photo.objects.get()
    assert response["Location"] == f"http://testserver/v1/photos/{photo.pk}"
    assert body["id"] == str(photo.pk)
    assert (photo.owner, photo.pet) == (user, pet)
    assert body["status"] == "ready"
    assert (body["pet"], body["caption"], body["filename"]) == (
        pet.pk,
        "Rex at the beach",
        "cat.jpg",
    )
    assert (body["width"], body["height"], body["size"]) == (1600, 1200, len(data))
    assert body["content_type"] == "image/jpeg"
    assert body["checksum"] == hashlib.sha256(data).hexdigest()
    assert body["url"].startswith("http://testserver/media/photos/")
    assert body["thumbnail_url"].endswith(".jpg")
    assert media_files() == {photo.original.name, photo.display.name, photo.thumbnail.name}


def test_stored_original_is_byte_exact_and_derived_sizes_fit(
    api: APIClient, media_root: Path
) -> None:
    data = images.jpeg((3000, 1000))

    upload(api, data)

    photo = Photo.objects.get()
    assert (media_root / photo.original.name).read_bytes() == data
    assert images.decode((media_root / photo.display.name).read_bytes()).size == (1280, 427)
    assert images.decode((media_root / photo.thumbnail.name).read_bytes()).size == (256, 85)


@pytest.mark.parametrize(
    ("data", "content_type", "sniffed"),
    [
        (images.jpeg(), "image/jpeg", "image/jpeg"),
        (images.png(), "image/png", "image/png"),
        (images.webp(), "image/webp", "image/webp"),
        (images.png(), "image/jpeg", "image/png"),  # Declared wrong: the bytes decide.
    ],
)
def test_raw_body_upload(api: APIClient, data: bytes, content_type: str, sniffed: str) -> None:
    response = upload_raw(api, data, content_type, "?caption=raw")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["content_type"], body["caption"]) == ("ready", sniffed, "raw")
    assert body["filename"] == ""
    assert Photo.objects.get().original.name.endswith(
        "." + sniffed.split("/")[1].replace("jpeg", "jpg")
    )


@pytest.mark.parametrize("raw", [False, True], ids=["multipart", "raw"])
def test_mpo_from_a_phone_is_accepted_as_jpeg(api: APIClient, media_root: Path, raw: bool) -> None:
    data = images.mpo((800, 600))

    response = upload_raw(api, data, "image/jpeg") if raw else upload(api, data, "phone.jpg")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["content_type"]) == ("ready", "image/jpeg")
    assert (body["width"], body["height"], body["size"]) == (800, 600, len(data))
    photo = Photo.objects.get()
    assert photo.original.name.endswith(".jpg")
    assert (media_root / photo.original.name).read_bytes() == data  # Both pictures kept.
    assert images.decode((media_root / photo.display.name).read_bytes()).format == "JPEG"


def test_raw_body_with_pet_in_the_query(api: APIClient, pet: Any) -> None:
    response = upload_raw(api, images.jpeg(), "image/jpeg", f"?pet={pet.pk}")

    assert response.status_code == 201
    assert response.json()["pet"] == pet.pk


def test_png_declared_as_jpeg_in_a_form_is_stored_as_png(api: APIClient) -> None:
    file = io.BytesIO(images.png())
    file.name = "photo.jpg"

    response = api.post("/v1/photos", {"file": file}, format="multipart")

    assert response.status_code == 201
    photo = Photo.objects.get()
    assert photo.content_type == "image/png"
    assert photo.original.name == f"photos/{photo.pk}/original-1.png"


def test_trailing_slash_works(api: APIClient) -> None:
    response = upload_raw(api, images.jpeg(), "image/jpeg")
    photo_id = response.json()["id"]

    assert api.get("/v1/photos/").status_code == 200
    assert api.get(f"/v1/photos/{photo_id}/").status_code == 200


# --- Hostile and bad input: a clean 4xx, nothing stored, no row ------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"I am text, not a cat", "cat.jpg", "The file is not a JPEG, PNG or WebP image."),
        (images.truncated_jpeg(), "cut.jpg", "The image is damaged or truncated."),
        (images.bomb_png(100_000, 100_000), "bomb.png", "The image has more than 40000000 pixels."),
        (images.bomb_png(7_000, 7_000), "big.png", "The image has more than 40000000 pixels."),
        (
            images.encode(images.halves(), "GIF"),
            "a.gif",
            "The file is not a JPEG, PNG or WebP image.",
        ),
    ],
    ids=["text-named-jpg", "truncated-jpeg", "bomb", "over-pixel-limit", "gif"],
)
def test_bad_content_is_400_and_stores_nothing(
    api: APIClient, media_files: Callable[[], set[str]], data: bytes, name: str, message: str
) -> None:
    response = upload(api, data, name)

    assert response.status_code == 400
    assert response.json() == {"message": "Invalid input.", "errors": {"file": [message]}}
    assert not Photo.objects.exists()
    assert media_files() == set()


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/webp"])
def test_bad_raw_content_is_400(api: APIClient, content_type: str) -> None:
    response = upload_raw(api, b"not an image at all", content_type)

    assert response.status_code == 400
    assert "file" in response.json()["errors"]
    assert not Photo.objects.exists()


def test_zero_byte_multipart_upload_is_400(api: APIClient) -> None:
    response = upload(api, b"")

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["The submitted file is empty."]}
    assert not Photo.objects.exists()


def test_zero_byte_raw_upload_is_400(api: APIClient) -> None:
    response = upload_raw(api, b"", "image/jpeg")

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["The submitted file is empty."]}


def test_missing_file_field_is_400(api: APIClient) -> None:
    response = api.post("/v1/photos", {"caption": "no file"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["No file was submitted."]}


def test_file_sent_as_a_text_field_is_400(api: APIClient) -> None:
    response = api.post("/v1/photos", {"file": "just text"}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["errors"]


@pytest.mark.parametrize("pet_id", ["999999", "abc", "-1", "1.5"])
def test_unknown_or_malformed_pet_is_400(api: APIClient, pet_id: str) -> None:
    response = upload(api, images.jpeg(), pet=pet_id)

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"pet"}
    assert not Photo.objects.exists()


def test_another_owners_pet_looks_exactly_like_an_unknown_pet(
    api: APIClient, other_pet: Any
) -> None:
    unknown = upload(api, images.jpeg(), pet=other_pet.pk + 1000).json()
    theirs = upload(api, images.jpeg(), pet=other_pet.pk).json()

    assert theirs["errors"]["pet"] == [
        unknown["errors"]["pet"][0].replace(str(other_pet.pk + 1000), str(other_pet.pk))
    ]
    assert "does not exist" in theirs["errors"]["pet"][0]
    assert not Photo.objects.exists()


def test_another_owners_pet_in_the_query_is_400(api: APIClient, other_pet: Any) -> None:
    response = upload_raw(api, images.jpeg(), "image/jpeg", f"?pet={other_pet.pk}")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"pet"}


def test_caption_limit(api: APIClient) -> None:
    assert upload(api, images.jpeg(), caption="c" * 500).status_code == 201
    response = upload(api, images.jpeg(), caption="c" * 501)

    assert response.status_code == 400
    assert response.json()["errors"]["caption"] == [
        "Ensure this field has no more than 500 characters."
    ]


def test_caption_with_a_null_character_is_400(api: APIClient) -> None:
    response = upload(api, images.jpeg(), caption="a\x00b")

    assert response.status_code == 400
    assert "caption" in response.json()["errors"]


def test_megabytes_of_caption_are_refused_by_django_before_the_file(api: APIClient) -> None:
    response = upload(api, images.jpeg(), caption="c" * (3 * 1024 * 1024))

    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}


def test_path_traversal_in_the_file_name_goes_nowhere(
    api: APIClient, media_root: Path, media_files: Callable[[], set[str]]
) -> None:
    response = upload(api, images.jpeg(), name="../../../../etc/passwd.jpg")

    assert response.status_code == 201
    photo = Photo.objects.get()
    assert response.json()["filename"] == "passwd.jpg"
    assert all(name.startswith(f"photos/{photo.pk}/") for name in media_files())
    assert not (media_root.parent / "etc").exists()


def test_unsupported_media_type_is_415(api: APIClient) -> None:
    response = api.post("/v1/photos", images.jpeg(), content_type="image/gif")

    assert response.status_code == 415
    assert response.json()["message"].startswith("Unsupported media type")


def test_json_is_not_an_upload(api: APIClient) -> None:
    response = api.post("/v1/photos", {"file": "x"}, format="json")

    assert response.status_code == 415


def test_unauthenticated_upload_is_refused(anon_client: APIClient) -> None:
    response = upload(anon_client, images.jpeg())

    assert response.status_code in (401, 403)
    assert not Photo.objects.exists()


# --- Read ------------------------------------------------------------------------------


def test_read_includes_urls_and_facts(api: APIClient, user: Any) -> None:
    photo = ReadyPhotoFactory(owner=user)

    body = api.get(f"/v1/photos/{photo.pk}").json()

    assert body["status"] == "ready"
    assert body["url"] == f"http://testserver/media/{photo.display.name}"
    assert body["thumbnail_url"] == f"http://testserver/media/{photo.thumbnail.name}"
    assert body["original_url"] == f"http://testserver/media/{photo.original.name}"
    assert (body["width"], body["height"]) == (photo.width, photo.height)


def test_pending_photo_has_no_urls(api: APIClient, user: Any) -> None:
    photo = ReadyPhotoFactory(owner=user, pending=True)

    body = api.get(f"/v1/photos/{photo.pk}").json()

    assert body["status"] == "pending_upload"
    assert body["url"] is body["thumbnail_url"] is body["original_url"] is None


def test_another_owners_photo_is_404_for_every_method(api: APIClient, other_user: Any) -> None:
    photo = ReadyPhotoFactory(owner=other_user)

    assert api.get(f"/v1/photos/{photo.pk}").json() == {"message": "Not Found"}
    assert api.get(f"/v1/photos/{photo.pk}").status_code == 404
    assert api.delete(f"/v1/photos/{photo.pk}").status_code == 404
    assert Photo.objects.filter(pk=photo.pk).exists()


@pytest.mark.parametrize(
    "photo_id", ["1", "not-a-uuid", "../etc", "00000000-0000-0000-0000-000000000000"]
)
def test_unknown_or_malformed_ids_are_404(api: APIClient, photo_id: str) -> None:
    assert api.get(f"/v1/photos/{photo_id}").status_code == 404


def test_list_is_paginated_and_owner_scoped(api: APIClient, user: Any, other_user: Any) -> None:
    mine = ReadyPhotoFactory.create_batch(3, owner=user)
    ReadyPhotoFactory(owner=other_user)

    body = api.get("/v1/photos?page_size=2").json()

    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"] is not None
    assert {p["id"] for p in body["results"]} <= {str(p.pk) for p in mine}


def test_list_filters_by_pet_and_status(api: APIClient, user: Any, pet: Any) -> None:
    with_pet = ReadyPhotoFactory(owner=user, pet=pet)
    ReadyPhotoFactory(owner=user)
    pending = ReadyPhotoFactory(owner=user, pending=True)

    by_pet = api.get(f"/v1/photos?pet={pet.pk}").json()["results"]
    by_status = api.get("/v1/photos?status=pending_upload").json()["results"]

    assert [p["id"] for p in by_pet] == [str(with_pet.pk)]
    assert [p["id"] for p in by_status] == [str(pending.pk)]
    assert api.get("/v1/photos?pet=999999").json()["count"] == 0


@pytest.mark.parametrize("query", ["status=lost", "pet=abc", "pet=1.5", "ordering=size", "page=0"])
def test_bad_list_parameters_are_400(api: APIClient, query: str) -> None:
    response = api.get(f"/v1/photos?{query}")

    assert response.status_code == 400
    assert response.json()["message"] == "Invalid input."


# --- Delete ----------------------------------------------------------------------------


def test_delete_removes_the_row_and_every_file(
    api: APIClient, commit: Callable[[], Any], media_files: Callable[[], set[str]]
) -> None:
    photo_id = upload(api, images.jpeg()).json()["id"]
    assert len(media_files()) == 3

    with commit():
        response = api.delete(f"/v1/photos/{photo_id}")

    assert response.status_code == 204
    assert not Photo.objects.exists()
    assert media_files() == set()


def test_a_photo_deleted_while_a_conditional_delete_runs_is_a_json_404(
    api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.photos import services

    created = upload(api, images.jpeg())
    photo_id, etag = created.json()["id"], created["ETag"]
    delete = services.photo_delete

    def deleted_meanwhile(**kwargs: Any) -> None:
        Photo.objects.filter(pk=photo_id).delete()  # a concurrent DELETE after the view read it
        delete(**kwargs)

    monkeypatch.setattr(services, "photo_delete", deleted_meanwhile)

    response = api.delete(f"/v1/photos/{photo_id}", HTTP_IF_MATCH=etag)

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_status_values_are_documented_choices() -> None:
    assert set(PhotoStatus.values) == {"pending_upload", "processing", "ready", "failed"}


# --- Odd form and query values: a 400 naming the field, never a 500 or a silent default -


BAD_PET_TEXT = [
    "abc",
    "",
    " ",
    "-1",
    "0",
    "1.5",
    "1e3",
    "0x10",
    "99999999999999999999999999",  # Beyond bigint.
    "9" * 5000,  # Beyond Python's int() digit limit.
    "\u00b2",  # Superscript two: str.isdigit() says yes, int() says no.
    "\u0661",  # Arabic-Indic one: int() reads it as 1.
    "1\x00",
]


@pytest.mark.parametrize("pet_id", BAD_PET_TEXT)
def test_bad_pet_in_a_form_is_400(api: APIClient, pet: Any, pet_id: str) -> None:
    response = upload(api, images.jpeg(), pet=pet_id)

    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"pet"}
    assert not Photo.objects.exists()


@pytest.mark.parametrize("pet_id", BAD_PET_TEXT)
def test_bad_pet_in_the_query_is_400(api: APIClient, pet: Any, pet_id: str) -> None:
    response = api.post(
        "/v1/photos",
        images.jpeg(),
        content_type="image/jpeg",
        QUERY_STRING=urlencode({"pet": pet_id}),
    )

    assert response.status_code == 400, response.content
    assert set(response.json()["errors"]) == {"pet"}
    assert not Photo.objects.exists()


def test_a_repeated_pet_is_400_not_the_last_one(api: APIClient, user: Any, pet: Any) -> None:
    other = PetFactory(owner=user)
    query = upload_raw(api, images.jpeg(), "image/jpeg", f"?pet={pet.pk}&pet={other.pk}")
    form = api.post(
        "/v1/photos",
        encode_multipart(BOUNDARY, {"file": named(images.jpeg()), "pet": [pet.pk, other.pk]}),
        content_type=MULTIPART,
    )

    for response in (query, form):
        assert response.status_code == 400, response.content
        assert response.json()["errors"] == {"pet": ["Send this field once."]}
    assert not Photo.objects.exists()


def test_a_repeated_caption_or_file_is_400(api: APIClient) -> None:
    query = upload_raw(api, images.jpeg(), "image/jpeg", "?caption=a&caption=b")
    form = api.post(
        "/v1/photos",
        encode_multipart(BOUNDARY, {"file": named(images.jpeg()), "caption": ["a", "b"]}),
        content_type=MULTIPART,
    )
    files = api.post(
        "/v1/photos",
        encode_multipart(BOUNDARY, {"file": [named(images.jpeg()), named(images.png())]}),
        content_type=MULTIPART,
    )

    assert query.json()["errors"] == {"caption": ["Send this field once."]}
    assert form.json()["errors"] == {"caption": ["Send this field once."]}
    assert files.json()["errors"] == {"file": ["Send this field once."]}
    assert {r.status_code for r in (query, form, files)} == {400}
    assert not Photo.objects.exists()


@pytest.mark.parametrize("caption", ["c" * 501, "a\x00b"])
def test_bad_caption_in_the_query_is_400(api: APIClient, caption: str) -> None:
    response = api.post(
        "/v1/photos",
        images.jpeg(),
        content_type="image/jpeg",
        QUERY_STRING=urlencode({"caption": caption}),
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"caption"}


def test_a_good_pet_in_the_query_and_an_empty_caption_work(api: APIClient, pet: Any) -> None:
    response = upload_raw(api, images.jpeg(), "image/jpeg", f"?pet={pet.pk}&caption=")

    assert response.status_code == 201
    assert (response.json()["pet"], response.json()["caption"]) == (pet.pk, "")
