"""The client against the live API (rungateway, the real Lambda request path): every
operation a user needs, each error as a typed exception, and iteration past a shrinking list."""

from __future__ import annotations

import io
import uuid

import pytest

from images import png
from pets_api import connect, etag, new_idempotency_key, ok, pages, send_upload
from pets_api.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
)
from pets_api_client import AuthenticatedClient
from pets_api_client.api.pets import (
    create_pet,
    delete_pet,
    get_pet,
    list_pets,
    replace_pet,
    update_pet,
)
from pets_api_client.api.photos import get_photo, list_photos, start_photo_upload, upload_photo
from pets_api_client.api.usage import get_usage
from pets_api_client.models import (
    PatchedPetRequest,
    Pet,
    PetRequest,
    PhotoUploadRequest,
    PhotoUploadStartRequest,
)
from pets_api_client.types import UNSET, File

pytestmark = pytest.mark.usefixtures("url")


def tag() -> str:
    """A word unique to one test, so `search=` finds that test's pets only."""
    return uuid.uuid4().hex[:10]


def create(api: AuthenticatedClient, name: str, species: str = "dog", notes: str = "") -> Pet:
    body = PetRequest(name=name, species=species, notes=notes)  # type: ignore[arg-type]
    return ok(create_pet.sync(client=api, body=body))


def test_create_answers_201_with_the_pet_and_its_location(
    api: AuthenticatedClient, url: str
) -> None:
    response = create_pet.sync_detailed(
        client=api, body=PetRequest(name="Rex", species="dog", notes="Good boy")
    )

    pet = ok(response.parsed)
    assert response.status_code == 201
    assert response.headers["location"] == f"{url}/v1/pets/{pet.id}"
    assert (pet.name, pet.species, pet.notes, pet.version) == ("Rex", "dog", "Good boy", 1)


def test_list_with_every_filter_and_a_multi_field_ordering(api: AuthenticatedClient) -> None:
    word = tag()
    first = create(api, f"{word} Rex", "dog", notes="older")
    second = create(api, f"{word} Rex", "dog", notes="newer")
    ace = create(api, f"{word} Ace", "dog")
    create(api, f"{word} Tom", "cat")
    create(api, "Unrelated Rex", "dog")

    page = ok(
        list_pets.sync(
            client=api,
            species="dog",
            search=word,
            ordering=["name", "-created_at"],
            page=1,
            page_size=10,
        )
    )

    assert page.count == 3
    assert [pet.id for pet in page.results] == [ace.id, second.id, first.id]
    reverse = ok(
        list_pets.sync(client=api, search=word, species="dog", ordering=["-name", "created_at"])
    )
    assert [pet.id for pet in reverse.results] == [first.id, second.id, ace.id]


def test_pages_follow_next_to_the_last_page(api: AuthenticatedClient) -> None:
    word = tag()
    created = [create(api, f"{word} {n}") for n in range(5)]

    found = list(
        pages(list_pets.sync_detailed, client=api, search=word, ordering=["name"], page_size=2)
    )

    assert [len(page.results) for page in found] == [2, 2, 1]
    assert found[-1].next_ is None
    every = pages(list_pets.sync_detailed, client=api, search=word, ordering=["name"], page_size=2)
    assert [pet.id for pet in every.items()] == [pet.id for pet in created]


def test_a_page_gone_during_iteration_ends_it(api: AuthenticatedClient) -> None:
    word = tag()
    created = [create(api, f"{word} {n}") for n in range(3)]
    listing = pages(
        list_pets.sync_detailed, client=api, search=word, ordering=["name"], page_size=2
    )
    iterator = iter(listing)
    first = next(iterator)
    assert first.next_ is not None

    for pet in created[1:]:  # page 2 no longer exists: its `next` link is a 404
        delete_pet.sync_detailed(client=api, id=pet.id)

    assert list(iterator) == []


def test_get_put_patch_and_delete(api: AuthenticatedClient) -> None:
    pet = create(api, "Rex", notes="Likes walks")

    assert ok(get_pet.sync(client=api, id=pet.id)).name == "Rex"
    replaced = ok(
        replace_pet.sync(client=api, id=pet.id, body=PetRequest(name="Max", species="cat"))
    )
    assert (replaced.name, replaced.species, replaced.notes) == ("Max", "cat", "")  # PUT clears
    assert replaced.version == 2

    deleted = delete_pet.sync_detailed(client=api, id=pet.id)

    assert deleted.status_code == 204
    with pytest.raises(NotFound):
        get_pet.sync(client=api, id=pet.id)


def test_patch_of_one_field_leaves_the_others_untouched(api: AuthenticatedClient) -> None:
    pet = create(api, "Rex", "dog", notes="Likes walks")

    patched = ok(update_pet.sync(client=api, id=pet.id, body=PatchedPetRequest(name="Max")))

    assert PatchedPetRequest(name="Max").to_dict() == {"name": "Max"}
    assert (patched.name, patched.species, patched.notes) == ("Max", "dog", "Likes walks")
    assert ok(get_pet.sync(client=api, id=pet.id)).notes == "Likes walks"


def test_photo_upload_multipart(api: AuthenticatedClient) -> None:
    pet = create(api, "Rex")
    image = File(payload=io.BytesIO(png(3, 2)), file_name="rex.png", mime_type="image/png")

    photo = ok(
        upload_photo.sync(client=api, body=PhotoUploadRequest(file=image, pet=pet.id, caption="Hi"))
    )

    assert (photo.status, photo.width, photo.height, photo.pet, photo.caption) == (
        "ready",
        3,
        2,
        pet.id,
        "Hi",
    )


def test_photos_list_with_every_filter(api: AuthenticatedClient) -> None:
    word = tag()
    pet = create(api, "Rex")
    photos = [
        ok(
            upload_photo.sync(
                client=api,
                body=PhotoUploadRequest(
                    file=File(payload=io.BytesIO(png()), file_name="p.png", mime_type="image/png"),
                    pet=pet.id if n < 2 else UNSET,
                    caption=f"{word} {n}",
                ),
            )
        )
        for n in range(3)
    ]

    page = ok(
        list_photos.sync(
            client=api,
            pet=pet.id,
            status="ready",
            search=word,
            ordering=["-created_at"],
            page=1,
            page_size=5,
        )
    )

    assert [photo.id for photo in page.results] == [photos[1].id, photos[0].id]
    assert ok(list_photos.sync(client=api, search=word, status="failed")).count == 0


def test_presigned_upload(api: AuthenticatedClient) -> None:
    image = png(4, 5)
    start = ok(
        start_photo_upload.sync(
            client=api,
            body=PhotoUploadStartRequest(
                filename="big.png", content_type="image/png", size=len(image)
            ),
        )
    )
    assert start.photo.status == "pending_upload"

    send_upload(start.upload, image, filename="big.png")

    photo = ok(get_photo.sync(client=api, id=start.photo.id))
    assert (photo.status, photo.width, photo.height) == ("ready", 4, 5)


def test_usage_counts_this_key(api: AuthenticatedClient) -> None:
    usage = ok(get_usage.sync(client=api))

    assert usage.plan.name == "SDK"
    assert usage.quota.used >= 1


def test_invalid_input_is_bad_request_naming_each_field(api: AuthenticatedClient) -> None:
    with pytest.raises(BadRequest) as raised:
        create_pet.sync(client=api, body=PetRequest(name=" ", species="dog", birth_date=None))

    assert raised.value.status == 400
    assert raised.value.message == "Invalid input."
    assert set(raised.value.errors) == {"name"}


def test_an_unknown_key_is_forbidden_and_sent_as_is(url: str) -> None:
    # `.` (and other printable characters) need no escaping: the key goes out verbatim.
    with connect(url, api_key="odd.looking.key-~_") as api, pytest.raises(Forbidden) as raised:
        get_usage.sync(client=api)

    assert raised.value.message == "Forbidden"
    assert raised.value.request is not None
    assert raised.value.request.headers["x-api-key"] == "odd.looking.key-~_"


def test_someone_elses_or_no_pet_is_not_found(api: AuthenticatedClient) -> None:
    with pytest.raises(NotFound) as raised:
        get_pet.sync(client=api, id=987_654_321)

    assert raised.value.message == "Not Found"


def test_a_direct_upload_over_the_limit_is_payload_too_large(api: AuthenticatedClient) -> None:
    big = File(
        payload=io.BytesIO(png() + b"\0" * 70_000), file_name="big.png", mime_type="image/png"
    )

    with pytest.raises(PayloadTooLarge) as raised:
        upload_photo.sync(client=api, body=PhotoUploadRequest(file=big))

    assert raised.value.status == 413


def test_a_used_up_quota_is_too_many_requests_with_retry_after(url: str, limited_key: str) -> None:
    sleeps: list[float] = []
    # Retries wait what Retry-After says, at most max_wait; here every wait is recorded
    # instead, so the retries happen at once and are all refused again.
    with connect(url, api_key=limited_key, retries=2, max_wait=10**6, sleep=sleeps.append) as api:
        get_usage.sync(client=api)  # the quota's one request
        with pytest.raises(TooManyRequests) as raised:
            get_usage.sync(client=api)

    assert raised.value.message == "Limit Exceeded"
    assert (raised.value.retry_after or 0) >= 1
    assert len(sleeps) == 2
    assert all(wait >= 1 for wait in sleeps)
    # A wait longer than max_wait is not worth retrying: the error comes at once.
    impatient = connect(url, api_key=limited_key, max_wait=0.5, sleep=sleeps.append)
    with impatient, pytest.raises(TooManyRequests):
        get_usage.sync(client=impatient)
    assert len(sleeps) == 2


def test_if_match_guards_a_write_and_a_412_names_the_current_etag(
    api: AuthenticatedClient,
) -> None:
    pet = create(api, "Rex", notes="Likes walks")
    read = get_pet.sync_detailed(client=api, id=pet.id)
    tag = etag(read)

    updated = update_pet.sync_detailed(
        client=api, id=pet.id, body=PatchedPetRequest(name="Max"), if_match=tag
    )

    with pytest.raises(PreconditionFailed) as raised:  # the tag is out of date now
        update_pet.sync(client=api, id=pet.id, body=PatchedPetRequest(name="Tom"), if_match=tag)
    assert raised.value.etag == etag(updated) != tag
    assert ok(get_pet.sync(client=api, id=pet.id)).name == "Max"


def test_if_none_match_gives_304_without_a_body(api: AuthenticatedClient) -> None:
    pet = create(api, "Rex")
    tag = etag(get_pet.sync_detailed(client=api, id=pet.id))

    again = get_pet.sync_detailed(client=api, id=pet.id, if_none_match=tag)

    assert (again.status_code, again.parsed, again.content) == (304, None, b"")


def test_an_idempotency_key_makes_a_retried_create_create_once(api: AuthenticatedClient) -> None:
    word = tag()
    key = new_idempotency_key()
    body = PetRequest(name=f"{word} Rex", species="dog")

    first = create_pet.sync_detailed(client=api, body=body, idempotency_key=key)
    again = create_pet.sync_detailed(client=api, body=body, idempotency_key=key)

    assert ok(again.parsed).id == ok(first.parsed).id
    assert again.headers["idempotent-replayed"] == "true"
    assert ok(list_pets.sync(client=api, search=word)).count == 1
    with pytest.raises(UnprocessableEntity):  # the same key for another create
        create_pet.sync(
            client=api, body=PetRequest(name=f"{word} Max", species="dog"), idempotency_key=key
        )


def test_a_bearer_token_signs_in_its_user(token_url: str, token: str) -> None:
    with connect(token_url, token=token) as api:
        pet = create(api, "Rex")
        assert ok(get_pet.sync(client=api, id=pet.id)).name == "Rex"
        usage = ok(get_usage.sync(client=api))

    assert usage.key is None
    assert usage.token is not None
    assert usage.token.subject == "sdk-python"


def test_a_forged_token_is_unauthorized(token_url: str, token: str) -> None:
    header, claims, signature = token.split(".")
    forged = f"{header}.{claims}.{signature[::-1]}"

    with connect(token_url, token=forged) as api, pytest.raises(Unauthorized) as raised:
        get_usage.sync(client=api)

    assert (raised.value.status, raised.value.message) == (401, "Unauthorized")
