"""Conditional requests on /v1/pets: strong ETags, 304 on If-None-Match, 412/428 on writes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.api_keys.models import KeyMeter
from apps.common.conditional import StaleVersionError
from apps.pets import services
from apps.pets.exceptions import PetNotFoundError
from apps.pets.models import Pet
from apps.pets.views import PetViewSet
from tests.api_keys.factories import APIKeyFactory, UsagePlanFactory
from tests.factories import PetFactory

pytestmark = pytest.mark.django_db

PRECONDITION_FAILED = {"message": "Precondition Failed"}


@pytest.fixture
def pet(user: Any) -> Pet:
    pet: Pet = PetFactory(owner=user, name="Rex", notes="Written by A")
    return pet


def url(pet: Pet) -> str:
    return f"/v1/pets/{pet.pk}"


def etag_of(api: APIClient, pet: Pet) -> str:
    return str(api.get(url(pet))["ETag"])


def replace_body(**changes: Any) -> dict[str, Any]:
    return {"name": "Rex", "species": "dog", "notes": "Written by B", **changes}


# --- Tags and caching headers ---------------------------------------------------------------


def test_a_read_sends_a_strong_etag_and_private_caching_headers(api: APIClient, pet: Pet) -> None:
    response = api.get(url(pet))

    assert response.status_code == 200
    etag = response["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+"', etag)  # strong: no W/ prefix
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}
    vary = {name.strip().lower() for name in response["Vary"].split(",")}
    assert {"accept", "x-api-key", "authorization"} <= vary


def test_the_tag_is_stable_until_the_pet_changes(api: APIClient, pet: Pet) -> None:
    first = etag_of(api, pet)
    assert etag_of(api, pet) == first

    api.patch(url(pet), {"notes": "changed"}, format="json")

    assert etag_of(api, pet) != first


def test_another_pets_tag_differs_even_at_the_same_version(api: APIClient, user: Any) -> None:
    one, two = PetFactory(owner=user), PetFactory(owner=user)

    assert etag_of(api, one) != etag_of(api, two)


def test_create_and_update_answer_with_the_new_tag(api: APIClient) -> None:
    created = api.post("/v1/pets", {"name": "Tom", "species": "cat"}, format="json")
    pet = Pet.objects.get()
    assert created["ETag"] == etag_of(api, pet)

    updated = api.patch(url(pet), {"notes": "x"}, format="json", HTTP_IF_MATCH=created["ETag"])

    assert updated.status_code == 200
    assert updated["ETag"] == etag_of(api, pet) != created["ETag"]


# --- Conditional GET ----------------------------------------------------------------------


def test_if_none_match_with_the_current_tag_is_304_with_no_body(api: APIClient, pet: Pet) -> None:
    etag = etag_of(api, pet)

    response = api.get(url(pet), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert "Content-Type" not in response
    assert response["ETag"] == etag
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}
    assert "x-api-key" in response["Vary"]


@pytest.mark.parametrize(
    "header",
    [
        "{etag}",
        "W/{etag}",  # If-None-Match compares weakly
        '"other", {etag}',
        "*",
    ],
)
def test_if_none_match_forms_that_match(api: APIClient, pet: Pet, header: str) -> None:
    value = header.format(etag=etag_of(api, pet))

    assert api.get(url(pet), HTTP_IF_NONE_MATCH=value).status_code == 304


def test_a_head_request_is_conditional_too(api: APIClient, pet: Pet) -> None:
    assert api.head(url(pet), HTTP_IF_NONE_MATCH=etag_of(api, pet)).status_code == 304


def test_a_stale_or_foreign_tag_gets_the_full_body(api: APIClient, pet: Pet, user: Any) -> None:
    stale = etag_of(api, pet)
    api.patch(url(pet), {"notes": "newer"}, format="json")
    foreign = etag_of(api, PetFactory(owner=user))

    for tag in (stale, foreign):
        response = api.get(url(pet), HTTP_IF_NONE_MATCH=tag)
        assert response.status_code == 200
        assert response.json()["notes"] == "newer"


def test_a_304_still_counts_against_the_quota(user: Any) -> None:
    key = APIKeyFactory(owner=user, plan=UsagePlanFactory(rate=1000, burst=1000, limit=100))
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=key.raw_key)
    pet = PetFactory(owner=user)
    first = api.get(url(pet))

    second = api.get(url(pet), HTTP_IF_NONE_MATCH=first["ETag"])

    assert second.status_code == 304
    assert second["X-RateLimit-Remaining"] == "98"
    assert KeyMeter.objects.get(pk=key.pk).period_count == 2


def test_if_match_on_a_read_that_does_not_match_is_412(api: APIClient, pet: Pet) -> None:
    response = api.get(url(pet), HTTP_IF_MATCH='"nope"')

    assert (response.status_code, response.json()) == (412, PRECONDITION_FAILED)
    assert response["ETag"] == etag_of(api, pet)


def test_someone_elses_pet_is_404_whatever_the_preconditions(
    api: APIClient, other_user: Any
) -> None:
    theirs = PetFactory(owner=other_user)

    assert api.get(url(theirs), HTTP_IF_NONE_MATCH="*").status_code == 404
    assert api.put(url(theirs), replace_body(), format="json", HTTP_IF_MATCH="*").status_code == 404
    assert api.delete(url(theirs), HTTP_IF_MATCH='"x"').status_code == 404


# --- Lost-update protection ---------------------------------------------------------------


def test_put_with_the_current_tag_writes(api: APIClient, pet: Pet) -> None:
    response = api.put(url(pet), replace_body(), format="json", HTTP_IF_MATCH=etag_of(api, pet))

    assert response.status_code == 200
    pet.refresh_from_db()
    assert (pet.notes, pet.version) == ("Written by B", 2)


def test_the_issue_scenario_a_stale_put_is_412_and_writes_nothing(api: APIClient, pet: Pet) -> None:
    """Client B read version 1; client A wrote version 2; B's PUT must not clear A's notes."""
    b_read = etag_of(api, pet)
    api.patch(url(pet), {"notes": "Written by A, again"}, format="json", HTTP_IF_MATCH=b_read)

    response = api.put(url(pet), replace_body(notes=""), format="json", HTTP_IF_MATCH=b_read)

    assert (response.status_code, response.json()) == (412, PRECONDITION_FAILED)
    assert response["ETag"] == etag_of(api, pet) != b_read
    pet.refresh_from_db()
    assert (pet.notes, pet.version) == ("Written by A, again", 2)


@pytest.mark.parametrize(
    ("method", "body"),
    [("put", replace_body()), ("patch", {"notes": "x"}), ("delete", None)],
)
@pytest.mark.parametrize(
    "header",
    [
        '"stale"',
        "W/{etag}",  # strong comparison refuses weak tags
        '"a", "b"',
    ],
)
def test_writes_that_do_not_match_are_412(
    api: APIClient, pet: Pet, method: str, body: Any, header: str
) -> None:
    value = header.format(etag=etag_of(api, pet))

    response = getattr(api, method)(url(pet), body, format="json", HTTP_IF_MATCH=value)

    assert (response.status_code, response.json()) == (412, PRECONDITION_FAILED)
    pet.refresh_from_db()
    assert (pet.notes, pet.version) == ("Written by A", 1)


@pytest.mark.parametrize("header", ["*", '"other", {etag}', "{etag}"])
def test_writes_that_match_proceed(api: APIClient, pet: Pet, header: str) -> None:
    value = header.format(etag=etag_of(api, pet))

    assert (
        api.patch(url(pet), {"notes": "x"}, format="json", HTTP_IF_MATCH=value).status_code == 200
    )
    assert api.delete(url(pet), HTTP_IF_MATCH=etag_of(api, pet)).status_code == 204
    assert not Pet.objects.exists()


@pytest.mark.parametrize("value", ["1", '"unterminated', "W/1", '"a" "b"', ""])
def test_a_malformed_if_match_is_400_naming_it(api: APIClient, pet: Pet, value: str) -> None:
    response = api.put(url(pet), replace_body(), format="json", HTTP_IF_MATCH=value)

    assert response.status_code == 400
    assert "If-Match" in response.json()["errors"]
    pet.refresh_from_db()
    assert pet.version == 1


def test_a_malformed_if_none_match_on_a_read_is_400(api: APIClient, pet: Pet) -> None:
    response = api.get(url(pet), HTTP_IF_NONE_MATCH="not-quoted")

    assert response.status_code == 400
    assert "If-None-Match" in response.json()["errors"]


def test_if_none_match_on_a_put_refuses_to_overwrite_a_matching_pet(
    api: APIClient, pet: Pet
) -> None:
    current = etag_of(api, pet)

    for value in (current, "*"):
        response = api.put(url(pet), replace_body(), format="json", HTTP_IF_NONE_MATCH=value)
        assert (response.status_code, response.json()) == (412, PRECONDITION_FAILED)
    assert (
        api.put(url(pet), replace_body(), format="json", HTTP_IF_NONE_MATCH='"old"').status_code
        == 200
    )


def test_the_precondition_is_checked_before_the_body(api: APIClient, pet: Pet) -> None:
    response = api.put(url(pet), {"name": ""}, format="json", HTTP_IF_MATCH='"stale"')

    assert response.status_code == 412


def test_a_valid_tag_with_an_invalid_body_is_400_and_writes_nothing(
    api: APIClient, pet: Pet
) -> None:
    response = api.put(url(pet), {"name": ""}, format="json", HTTP_IF_MATCH=etag_of(api, pet))

    assert response.status_code == 400
    pet.refresh_from_db()
    assert pet.version == 1


# --- Required If-Match --------------------------------------------------------------------


@pytest.fixture
def if_match_required(settings: Any) -> None:
    settings.CONDITIONAL_REQUESTS = {"REQUIRE_IF_MATCH": True}


@pytest.mark.usefixtures("if_match_required")
@pytest.mark.parametrize(
    ("method", "body"),
    [("put", replace_body()), ("patch", {"notes": "x"}), ("delete", None)],
)
def test_required_if_match_missing_is_428(api: APIClient, pet: Pet, method: str, body: Any) -> None:
    response = getattr(api, method)(url(pet), body, format="json")

    assert (response.status_code, response.json()) == (428, {"message": "Precondition Required"})
    pet.refresh_from_db()
    assert pet.version == 1


@pytest.mark.usefixtures("if_match_required")
def test_required_if_match_lets_reads_creates_and_tagged_writes_through(
    api: APIClient, pet: Pet
) -> None:
    assert api.get(url(pet)).status_code == 200
    assert api.get("/v1/pets").status_code == 200
    assert api.post("/v1/pets", replace_body(), format="json").status_code == 201
    # If-None-Match alone does not protect against lost updates: still 428.
    assert (
        api.patch(url(pet), {"notes": "x"}, format="json", HTTP_IF_NONE_MATCH='"o"').status_code
        == 428
    )
    tagged = api.patch(url(pet), {"notes": "x"}, format="json", HTTP_IF_MATCH=etag_of(api, pet))
    assert tagged.status_code == 200


def test_if_match_is_optional_by_default(api: APIClient, pet: Pet) -> None:
    assert api.patch(url(pet), {"notes": "x"}, format="json").status_code == 200


# --- Lists --------------------------------------------------------------------------------


def test_a_list_page_has_a_tag_and_answers_304(api: APIClient, user: Any) -> None:
    PetFactory.create_batch(3, owner=user)
    page = api.get("/v1/pets?page_size=2")

    again = api.get("/v1/pets?page_size=2", HTTP_IF_NONE_MATCH=page["ETag"])

    assert page.status_code == 200
    assert re.fullmatch(r'"[0-9a-f]+"', page["ETag"])
    assert (again.status_code, again.content) == (304, b"")
    assert set(again["Cache-Control"].split(", ")) == {"private", "no-cache"}


def test_a_list_tag_changes_with_what_the_page_shows(api: APIClient, user: Any) -> None:
    pets = PetFactory.create_batch(3, owner=user)

    def tag(query: str = "") -> str:
        return str(api.get(f"/v1/pets?page_size=2{query}")["ETag"])

    first = tag()
    assert tag("&page=2") != first
    api.patch(url(pets[-1]), {"notes": "on page 1"}, format="json")  # newest first
    second = tag()
    assert second != first
    api.delete(url(pets[0]))  # on page 2, but the total on page 1 changes
    assert tag() != second


def test_a_list_tag_costs_no_query(api: APIClient, user: Any) -> None:
    PetFactory.create_batch(3, owner=user)
    api.get("/v1/pets")  # the key is warm

    with CaptureQueriesContext(connection) as queries:
        tag = api.get("/v1/pets")["ETag"]
    with CaptureQueriesContext(connection) as conditional:
        assert api.get("/v1/pets", HTTP_IF_NONE_MATCH=tag).status_code == 304

    pet_queries = [q["sql"] for q in queries.captured_queries if "pets_pet" in q["sql"]]
    assert len(pet_queries) == 2  # the count and the page; nothing more for the tag
    assert len(conditional.captured_queries) == len(queries.captured_queries)


# --- The check and the write are one step -------------------------------------------------


def test_a_write_that_loses_the_race_after_the_check_is_412(
    api: APIClient, pet: Pet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view's check passes on the version it read; another write lands before the UPDATE,
    whose `WHERE version = 1` then matches nothing: 412 with the newer tag, nothing written."""
    seen = etag_of(api, pet)
    stale = Pet.objects.get(pk=pet.pk)
    Pet.objects.filter(pk=pet.pk).update(notes="The other write", version=2)
    monkeypatch.setattr(PetViewSet, "get_object", lambda self: stale)

    response = api.put(url(pet), replace_body(), format="json", HTTP_IF_MATCH=seen)

    assert (response.status_code, response.json()) == (412, PRECONDITION_FAILED)
    monkeypatch.undo()
    assert response["ETag"] == etag_of(api, pet) != seen
    pet.refresh_from_db()
    assert (pet.notes, pet.version) == ("The other write", 2)


def test_the_update_service_writes_only_at_the_expected_version(pet: Pet) -> None:
    Pet.objects.filter(pk=pet.pk).update(version=2)

    with pytest.raises(StaleVersionError) as raised:
        services.pet_update(pet=pet, data={"notes": "x"}, expected_version=1)

    assert raised.value.current_version == 2
    pet.refresh_from_db()
    assert pet.notes == "Written by A"
    assert services.pet_update(pet=pet, data={"notes": "x"}, expected_version=2).version == 3


def test_the_delete_service_deletes_only_at_the_expected_version(pet: Pet) -> None:
    Pet.objects.filter(pk=pet.pk).update(version=2)

    with pytest.raises(StaleVersionError):
        services.pet_delete(pet=pet, expected_version=1)
    assert Pet.objects.filter(pk=pet.pk).exists()

    services.pet_delete(pet=Pet.objects.get(pk=pet.pk), expected_version=2)
    assert not Pet.objects.exists()


def test_a_conditional_write_to_a_pet_deleted_meanwhile_is_not_found(pet: Pet) -> None:
    Pet.objects.filter(pk=pet.pk).delete()

    with pytest.raises(PetNotFoundError):
        services.pet_update(pet=pet, data={"notes": "x"}, expected_version=1)
    with pytest.raises(PetNotFoundError):
        services.pet_delete(pet=pet, expected_version=1)


def test_the_browsable_apis_html_has_its_own_tag(api: APIClient, pet: Pet) -> None:
    json_tag = etag_of(api, pet)

    html = api.get(url(pet), HTTP_ACCEPT="text/html")

    assert html.status_code == 200
    assert html["ETag"] != json_tag
    assert (
        api.get(url(pet), HTTP_ACCEPT="text/html", HTTP_IF_NONE_MATCH=json_tag).status_code == 200
    )


def test_another_pets_tag_on_a_write_is_412(api: APIClient, pet: Pet, user: Any) -> None:
    other = PetFactory(owner=user)

    response = api.put(url(pet), replace_body(), format="json", HTTP_IF_MATCH=etag_of(api, other))

    assert (response.status_code, response.json()) == (412, PRECONDITION_FAILED)
    pet.refresh_from_db()
    assert pet.version == 1
