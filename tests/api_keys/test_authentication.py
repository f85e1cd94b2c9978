"""x-api-key authentication: every unusable key is 403 {"message": "Forbidden"}, exactly."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.api_keys import selectors
from apps.api_keys.models import APIKey
from apps.api_keys.services import api_key_revoke
from tests.api_keys.clock import FakeClock
from tests.api_keys.conftest import client_with
from tests.factories import PetFactory, UserFactory

pytestmark = pytest.mark.django_db

FORBIDDEN = {"message": "Forbidden"}


def test_a_valid_key_authenticates_as_its_owner(make_key, key_client, user) -> None:
    pet = PetFactory(owner=user, name="Rex")
    PetFactory(name="Not mine")

    response = key_client(make_key()).get("/v1/pets")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [pet.pk]


def test_the_key_owner_is_the_creator_of_new_pets(make_key, key_client, user) -> None:
    response = key_client(make_key()).post("/v1/pets", {"name": "Rex", "species": "dog"})

    assert response.status_code == 201
    assert user.pets.get().name == "Rex"


def test_a_missing_header_is_forbidden(anon_client: APIClient) -> None:
    response = anon_client.get("/v1/pets")

    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert "WWW-Authenticate" not in response


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty"),
        pytest.param(" ", id="space"),
        pytest.param("abc def.ghi", id="space-inside"),
        pytest.param("nodotatall1234567890", id="no-dot"),
        pytest.param(".secretonly", id="no-prefix"),
        pytest.param("prefixonly.", id="no-secret"),
        pytest.param("a.b.c", id="two-dots"),
        pytest.param("x" * 8 + "." + "y" * 5000, id="very-long"),
        pytest.param("ABCDEFGH." + "z" * 32, id="unknown-prefix"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic-credentials"),
        pytest.param("abcdefgh.ÿÿÿ", id="latin-1"),
        pytest.param("abcdefgh.%00%00", id="percent-nul"),
    ],
)
def test_malformed_or_unknown_keys_are_forbidden(raw: str) -> None:
    response = client_with(raw).get("/v1/pets")

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_right_prefix_with_a_wrong_secret_is_forbidden(make_key) -> None:
    key = make_key()
    prefix, _, secret = key.raw_key.partition(".")
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    response = client_with(f"{prefix}.{wrong}").get("/v1/pets")

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_the_key_with_surrounding_spaces_is_forbidden(make_key) -> None:
    response = client_with(f" {make_key().raw_key} ").get("/v1/pets")

    assert response.status_code == 403


def test_a_revoked_key_is_forbidden(make_key, key_client) -> None:
    key = make_key()
    api_key_revoke(key=key)

    response = key_client(key).get("/v1/pets")

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_an_expired_key_is_forbidden_from_its_expiry_on(
    make_key, key_client, clock: FakeClock
) -> None:
    key = make_key()
    key.expiry_date = clock.now + datetime.timedelta(seconds=10)
    key.save()

    before = key_client(key).get("/v1/pets")
    clock.advance(10)
    at_expiry = key_client(key).get("/v1/pets")

    assert before.status_code == 200
    assert at_expiry.status_code == 403
    assert at_expiry.json() == FORBIDDEN


def test_a_key_of_an_inactive_user_is_forbidden(make_key, key_client, user) -> None:
    key = make_key()
    user.is_active = False
    user.save()

    assert key_client(key).get("/v1/pets").status_code == 403


def test_a_deleted_users_keys_stop_working(make_key, user) -> None:
    key = make_key()
    raw = key.raw_key
    user.delete()

    response = client_with(raw).get("/v1/pets")

    assert response.status_code == 403
    assert not APIKey.objects.filter(pk=key.pk).exists()


def test_unknown_prefix_still_runs_one_hash_verification(
    make_key, monkeypatch: pytest.MonkeyPatch
) -> None:
    """So response times do not reveal which prefixes exist."""
    key = make_key()
    calls: list[str] = []
    real_verify = selectors._generator.verify

    def spy(raw: str, hashed: str) -> bool:
        calls.append(hashed)
        return real_verify(raw, hashed)

    monkeypatch.setattr(selectors._generator, "verify", spy)

    client_with("ZZZZZZZZ." + "a" * 32).get("/v1/pets")
    client_with(key.raw_key[:-1] + "#").get("/v1/pets")  # malformed: refused before hashing
    client_with(key.raw_key).get("/v1/pets")

    assert calls == [selectors._DUMMY_HASH, key.hashed_key]


def test_verification_uses_a_constant_time_compare(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[str, str]] = []
    import rest_framework_api_key.crypto as crypto

    real = crypto.constant_time_compare

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(crypto, "constant_time_compare", spy)

    client_with("ZZZZZZZZ." + "a" * 32).get("/v1/pets")

    assert len(compared) == 1


def test_raw_keys_are_never_logged_only_the_prefix(
    make_key, key_client, caplog: pytest.LogCaptureFixture
) -> None:
    key = make_key()
    prefix, _, secret = key.raw_key.partition(".")

    with caplog.at_level(logging.DEBUG):
        key_client(key).get("/v1/pets")
        client_with(f"{prefix}.{'x' * 32}").get("/v1/pets")

    access = [r for r in caplog.records if r.name == "gatewayproject.request"]
    assert [r.keyPrefix for r in access] == [prefix, prefix]
    assert [getattr(r, "keyRejected", None) for r in access] == [None, "wrong secret"]
    info = [
        r
        for r in caplog.records
        if r.levelno >= logging.INFO and r.name != "apps.api_keys.services"
    ]
    assert info == access  # one INFO line per request, the rejection reason inside it
    assert secret not in caplog.text
    assert "x" * 32 not in caplog.text


def test_the_stored_key_holds_no_secret(make_key) -> None:
    key = make_key()
    prefix, _, secret = key.raw_key.partition(".")
    stored = APIKey.objects.values().get(pk=key.pk)

    assert stored["prefix"] == prefix
    assert all(secret not in str(value) for value in stored.values())
    assert stored["hashed_key"].startswith("sha512$$")


@pytest.mark.parametrize("path", ["/health", "/v1/openapi.json", "/v1/docs"])
def test_open_routes_need_no_key_and_ignore_a_bad_one(path: str) -> None:
    assert Client().get(path).status_code == 200
    assert Client().get(path, HTTP_X_API_KEY="bad").status_code == 200


def test_staff_can_use_the_browsable_api_with_a_session(user: Any) -> None:
    staff = UserFactory(username="staff", is_staff=True)
    client = Client()
    client.force_login(staff)

    response = client.get("/v1/pets", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"<html" in response.content.lower()


def test_a_session_is_not_enough_for_non_staff(user: Any) -> None:
    client = Client()
    client.force_login(user)

    response = client.get("/v1/pets")

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_basic_auth_is_no_longer_accepted(user: Any) -> None:
    import base64

    token = base64.b64encode(b"alice:correct-horse-battery-staple").decode()

    response = Client().get("/v1/pets", HTTP_AUTHORIZATION=f"Basic {token}")

    assert response.status_code == 403


def test_a_key_takes_precedence_over_a_staff_session(make_key, user: Any) -> None:
    key = make_key()
    client = Client()
    client.force_login(UserFactory(username="staff", is_staff=True))

    response = client.get("/v1/usage", HTTP_X_API_KEY=key.raw_key)

    assert response.status_code == 200
    assert response.json()["key"]["prefix"] == key.prefix


def test_a_bad_key_is_forbidden_even_with_a_staff_session() -> None:
    client = Client()
    client.force_login(UserFactory(username="staff", is_staff=True))

    assert client.get("/v1/pets", HTTP_X_API_KEY="bad").status_code == 403


def test_the_key_is_request_auth(make_key, rf: Any) -> None:
    from rest_framework.request import Request

    from apps.api_keys.authentication import APIKeyAuthentication

    key = make_key()
    request = Request(rf.get("/v1/pets", HTTP_X_API_KEY=key.raw_key))

    user, auth = APIKeyAuthentication().authenticate(request)  # type: ignore[misc]

    assert (user, auth) == (key.owner, key)
    assert request._request.api_key_prefix == key.prefix


def test_every_key_rejection_reason_is_distinct_in_logs_but_not_for_clients(
    make_key, key_client, user, caplog: pytest.LogCaptureFixture
) -> None:
    revoked = make_key()
    api_key_revoke(key=revoked)
    responses: list[Callable[[], Any]] = [
        lambda: client_with("bad").get("/v1/pets"),
        lambda: key_client(revoked).get("/v1/pets"),
    ]

    with caplog.at_level(logging.INFO, logger="gatewayproject.request"):
        bodies = [call().json() for call in responses]

    assert bodies == [FORBIDDEN, FORBIDDEN]
    reasons = [r.keyRejected for r in caplog.records if r.name == "gatewayproject.request"]
    assert reasons == ["malformed", "revoked"]
