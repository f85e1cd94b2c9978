"""Idempotency-Key on the three creating POSTs: run once, replay, 409, 422, 400; scoped per user."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from rest_framework.test import APIClient

from apps.api_keys.models import KeyMeter
from apps.idempotency.models import IdempotencyRecord
from apps.pets import services as pet_services
from apps.pets.models import Pet
from apps.photos.models import Photo
from tests.api_keys.factories import APIKeyFactory, UsagePlanFactory
from tests.factories import PetFactory
from tests.photos import images

pytestmark = pytest.mark.django_db

BODY = {"name": "Rex", "species": "dog", "notes": "first"}


def post_pet(api: APIClient, body: Any = BODY, key: str | None = "key-1", **extra: Any) -> Any:
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return api.post("/v1/pets", body, format="json", **headers, **extra)


def post_raw_json(api: APIClient, text: str, key: str = "key-1") -> Any:
    return api.post("/v1/pets", text, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)


# --- Run once, replay ---------------------------------------------------------------------


def test_a_retry_replays_the_first_response_and_creates_nothing(api: APIClient) -> None:
    first = post_pet(api)
    retry = post_pet(api)

    assert first.status_code == retry.status_code == 201
    assert Pet.objects.count() == 1
    assert retry.content == first.content
    assert retry["Location"] == first["Location"]
    assert retry["ETag"] == first["ETag"]
    assert retry["Content-Type"] == "application/json"
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first


def test_a_replay_counts_against_the_quota_and_carries_fresh_rate_limit_headers(
    user: Any,
) -> None:
    key = APIKeyFactory(owner=user, plan=UsagePlanFactory(rate=1000, burst=1000, limit=100))
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=key.raw_key)
    first = post_pet(api)
    retry = post_pet(api)

    assert (first["X-RateLimit-Remaining"], retry["X-RateLimit-Remaining"]) == ("99", "98")
    assert KeyMeter.objects.get().period_count == 2


def test_json_in_another_key_order_or_spacing_is_the_same_request(api: APIClient) -> None:
    first = post_raw_json(api, '{"name":"Rex","species":"dog"}')
    retry = post_raw_json(api, '{ "species": "dog",\n  "name": "Rex" }')

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.content == first.content
    assert Pet.objects.count() == 1


def test_without_a_key_every_post_creates(api: APIClient) -> None:
    post_pet(api, key=None)
    post_pet(api, key=None)

    assert Pet.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


def test_different_keys_create_different_pets(api: APIClient) -> None:
    post_pet(api, key="a")
    post_pet(api, key="b")

    assert Pet.objects.count() == 2


def test_a_key_is_scoped_to_its_user(
    client_for: Callable[[AbstractBaseUser], APIClient], user: Any, other_user: Any
) -> None:
    mine = post_pet(client_for(user), key="shared")
    theirs = post_pet(client_for(other_user), key="shared")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs
    assert {p.owner for p in Pet.objects.all()} == {user, other_user}


def test_the_replay_is_the_stored_response_even_after_the_pet_changed(api: APIClient) -> None:
    first = post_pet(api)
    api.patch(first["Location"], {"notes": "later"}, format="json")

    retry = post_pet(api)

    assert json.loads(retry.content)["notes"] == "first"
    assert retry["Idempotent-Replayed"] == "true"


# --- Refusals -----------------------------------------------------------------------------


def test_the_same_key_with_another_body_is_422(api: APIClient) -> None:
    post_pet(api)

    response = post_pet(api, {**BODY, "notes": "different"})

    assert response.status_code == 422
    assert response.json() == {
        "message": "This Idempotency-Key was already used for a different request."
    }
    assert Pet.objects.count() == 1


def test_the_same_key_on_another_route_is_422(api: APIClient) -> None:
    post_pet(api, key="k")

    response = api.post(
        "/v1/photos/uploads",
        {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert response.status_code == 422
    assert not Photo.objects.exists()


def test_the_same_key_with_another_query_is_422(api: APIClient) -> None:
    post_pet(api)

    assert post_pet(api, QUERY_STRING="x=1").status_code == 422


def test_a_retry_while_the_first_still_runs_is_409_with_retry_after(
    api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[Any] = []
    real_create = pet_services.pet_create

    def create_and_retry_meanwhile(**kwargs: Any) -> Pet:
        answers.append(post_pet(api))  # the client's retry, while the first is running
        return real_create(**kwargs)

    monkeypatch.setattr(pet_services, "pet_create", create_and_retry_meanwhile)
    first = post_pet(api)

    assert first.status_code == 201
    assert answers[0].status_code == 409
    assert answers[0].json() == {
        "message": "A request with this Idempotency-Key is still in progress."
    }
    assert answers[0]["Retry-After"] == "1"
    assert Pet.objects.count() == 1
    monkeypatch.undo()
    assert post_pet(api)["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "Must not be empty."),
        ("   ", "Must not be empty."),
        ('""', "Must not be empty."),
        ("x" * 256, "Must be at most 255 characters."),
        ('"' + "x" * 256 + '"', "Must be at most 255 characters."),
        ("caf\xe9", "Must be printable ASCII."),
        ("tab\there", "Must be printable ASCII."),
    ],
)
def test_bad_keys_are_400_and_nothing_is_created(api: APIClient, key: str, problem: str) -> None:
    response = post_pet(api, key=key)

    assert response.status_code == 400
    assert response.json()["errors"] == {"Idempotency-Key": [problem]}
    assert not Pet.objects.exists()


def test_keys_up_to_255_characters_and_quoted_keys_work(api: APIClient) -> None:
    assert post_pet(api, key="x" * 255).status_code == 201
    # The draft's form: a structured-field string. "abc" and abc are the same key.
    post_pet(api, key='"abc"')
    assert post_pet(api, key="abc")["Idempotent-Replayed"] == "true"


# --- What is stored -----------------------------------------------------------------------


def test_a_4xx_is_stored_and_replayed(api: APIClient) -> None:
    invalid = {"name": "", "species": "dog"}
    first = post_pet(api, invalid)

    retry = post_pet(api, invalid)

    assert first.status_code == retry.status_code == 400
    assert retry.content == first.content
    assert retry["Idempotent-Replayed"] == "true"


def test_a_5xx_is_not_stored_so_the_retry_runs_again(
    api: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> Pet:
        pet = Pet.objects.create(owner=kwargs["owner"], name="half", species="dog")
        raise RuntimeError(f"failed after writing {pet.pk}")

    monkeypatch.setattr(pet_services, "pet_create", broken)
    failed = post_pet(api)
    monkeypatch.undo()

    retry = post_pet(api)

    assert failed.status_code == 500
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry
    # The failed attempt's write went with its transaction.
    assert list(Pet.objects.values_list("name", flat=True)) == ["Rex"]


def test_a_body_that_does_not_parse_holds_no_key(api: APIClient) -> None:
    bad = post_raw_json(api, "{not json")
    good = post_pet(api)

    assert bad.status_code == 400
    assert good.status_code == 201
    assert "Idempotent-Replayed" not in good


def test_records_hold_the_key_per_user_and_expire(api: APIClient, user: Any) -> None:
    post_pet(api)

    record = IdempotencyRecord.objects.get()
    assert (record.owner, record.key, record.status) == (user, "key-1", 201)
    assert record.locked_until is None
    assert (record.expires_at - record.created_at).total_seconds() == pytest.approx(86400, abs=5)


# --- Photos -------------------------------------------------------------------------------


def multipart(data: bytes, name: str = "cat.jpg", **fields: Any) -> dict[str, Any]:
    file = io.BytesIO(data)
    file.name = name
    return {"file": file, **fields}


def test_a_direct_upload_retry_stores_one_photo(api: APIClient) -> None:
    data = images.jpeg()
    first = api.post("/v1/photos", multipart(data), format="multipart", HTTP_IDEMPOTENCY_KEY="p")
    retry = api.post("/v1/photos", multipart(data), format="multipart", HTTP_IDEMPOTENCY_KEY="p")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert Photo.objects.count() == 1


def test_a_multipart_photo_with_other_bytes_is_another_request(api: APIClient) -> None:
    api.post(
        "/v1/photos", multipart(images.jpeg((64, 64))), format="multipart", HTTP_IDEMPOTENCY_KEY="p"
    )

    other = api.post(
        "/v1/photos", multipart(images.jpeg((65, 64))), format="multipart", HTTP_IDEMPOTENCY_KEY="p"
    )

    assert other.status_code == 422
    assert Photo.objects.count() == 1


def test_a_raw_image_retry_stores_one_photo(api: APIClient) -> None:
    data = images.png((40, 30))

    def send() -> Any:
        return api.post(
            "/v1/photos?caption=hi", data, content_type="image/png", HTTP_IDEMPOTENCY_KEY="r"
        )

    first, retry = send(), send()

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry["Idempotent-Replayed"] == "true"
    assert Photo.objects.count() == 1


def test_a_presigned_upload_start_retry_returns_the_same_photo_and_form(api: APIClient) -> None:
    body = {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10}

    first = api.post("/v1/photos/uploads", body, format="json", HTTP_IDEMPOTENCY_KEY="u")
    retry = api.post("/v1/photos/uploads", body, format="json", HTTP_IDEMPOTENCY_KEY="u")

    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Photo.objects.count() == 1


def test_keys_are_ignored_where_retries_are_already_safe(api: APIClient, user: Any) -> None:
    pet = PetFactory(owner=user)

    put = api.put(f"/v1/pets/{pet.pk}", BODY, format="json", HTTP_IDEMPOTENCY_KEY="x" * 300)

    assert put.status_code == 200
    assert not IdempotencyRecord.objects.exists()


# --- The Redis store ----------------------------------------------------------------------


@pytest.mark.usefixtures("redis_settings")
def test_with_redis_a_retry_replays_and_nothing_is_in_the_database(api: APIClient) -> None:
    first = post_pet(api)
    retry = post_pet(api)
    mismatch = post_pet(api, {**BODY, "notes": "other"})

    assert retry.content == first.content
    assert retry["Idempotent-Replayed"] == "true"
    assert mismatch.status_code == 422
    assert Pet.objects.count() == 1
    assert not IdempotencyRecord.objects.exists()


def test_with_redis_unreachable_a_keyed_post_is_503_and_creates_nothing(
    api: APIClient, settings: Any
) -> None:
    settings.IDEMPOTENCY = {"REDIS_URL": "redis://127.0.0.1:1/0"}  # nothing listens there

    response = post_pet(api)

    assert (response.status_code, response.json()) == (503, {"message": "Service Unavailable"})
    assert response["Retry-After"] == "5"
    assert not Pet.objects.exists()
    assert post_pet(api, key=None).status_code == 201  # requests without a key still run


def test_the_trailing_slash_does_not_make_another_request(api: APIClient) -> None:
    post_pet(api)

    retry = api.post("/v1/pets/", BODY, format="json", HTTP_IDEMPOTENCY_KEY="key-1")

    assert retry["Idempotent-Replayed"] == "true"
    assert Pet.objects.count() == 1
