"""Token users on Lambda: the claims in requestContext sign in a linked Django user; no
header a client can send does."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from apps.identity.models import IdentityLink
from tests.api_keys.factories import APIKeyFactory
from tests.factories import PetFactory
from tests.identity.conftest import ISSUER, Invoke, body, claims_for, jwt_event

pytestmark = pytest.mark.django_db


def test_first_request_creates_the_user_and_link_with_the_email(invoke: Invoke) -> None:
    event = jwt_event(claims_for(email="alice@example.com"))

    result = invoke(event)

    assert result["statusCode"] == 200
    link = IdentityLink.objects.get()
    assert (link.issuer, link.subject, link.email) == (ISSUER, "sub-alice", "alice@example.com")
    assert link.user.email == "alice@example.com"
    assert not link.user.has_usable_password()


def test_later_requests_reuse_the_linked_user(invoke: Invoke) -> None:
    invoke(jwt_event(claims_for()))
    invoke(jwt_event(claims_for(email="changed@example.com")))

    assert IdentityLink.objects.count() == 1
    assert get_user_model().objects.count() == 1


def test_same_subject_from_another_issuer_is_another_user(invoke: Invoke) -> None:
    invoke(jwt_event(claims_for()))
    invoke(jwt_event(claims_for(iss="https://login.example.org")))

    assert IdentityLink.objects.count() == 2
    assert len({link.user_id for link in IdentityLink.objects.all()}) == 2


def test_token_user_owns_what_it_creates_and_not_others_pets(invoke: Invoke) -> None:
    created = invoke(
        jwt_event(
            claims_for(),
            method="POST",
            path="/v1/pets",
            body='{"name":"Rex","species":"dog"}',
            headers={"content-type": "application/json"},
        )
    )
    someone_elses = PetFactory()

    listed = invoke(jwt_event(claims_for()))
    other = invoke(jwt_event(claims_for(), path=f"/v1/pets/{someone_elses.pk}"))

    assert created["statusCode"] == 201
    assert [pet["name"] for pet in body(listed)["results"]] == ["Rex"]
    assert other["statusCode"] == 404
    assert body(other) == {"message": "Not Found"}


def test_a_pet_of_another_token_user_is_a_404(invoke: Invoke) -> None:
    created = invoke(
        jwt_event(
            claims_for("sub-bob"),
            method="POST",
            path="/v1/pets",
            body='{"name":"Tom","species":"cat"}',
            headers={"content-type": "application/json"},
        )
    )
    pet_id = body(created)["id"]

    result = invoke(jwt_event(claims_for("sub-alice"), path=f"/v1/pets/{pet_id}"))

    assert result["statusCode"] == 404


@pytest.mark.parametrize(
    ("method", "scope", "status"),
    [
        ("GET", "pets/read", 200),
        ("GET", "pets/write", 403),
        ("GET", "openid email", 403),
        ("POST", "pets/read", 403),
        ("POST", "pets/write", 201),
    ],
)
def test_scopes_decide_reads_and_writes(
    invoke: Invoke, method: str, scope: str, status: int
) -> None:
    event = jwt_event(
        claims_for(scope=scope),
        method=method,
        body='{"name":"Rex","species":"dog"}' if method == "POST" else None,
        headers={"content-type": "application/json"},
    )

    result = invoke(event)

    assert result["statusCode"] == status
    if status == 403:
        assert body(result) == {"message": "Forbidden"}


def test_scp_array_claim_counts_as_scopes(invoke: Invoke) -> None:
    claims = claims_for(scope="")
    claims["scp"] = "[pets/read pets/write]"  # how API Gateway renders an array claim

    assert invoke(jwt_event(claims))["statusCode"] == 200


def test_token_wins_over_a_key_sent_with_it(invoke: Invoke, user: Any) -> None:
    key = APIKeyFactory(owner=user)
    PetFactory(owner=user, name="Key owner's pet")

    result = invoke(jwt_event(claims_for(), headers={"x-api-key": key.raw_key}))

    assert result["statusCode"] == 200
    assert body(result)["results"] == []  # the token user's pets, not the key owner's


def test_a_bad_key_beside_a_token_is_not_even_read(invoke: Invoke) -> None:
    result = invoke(jwt_event(claims_for(), headers={"x-api-key": "not-a-key"}))

    assert result["statusCode"] == 200


def test_claim_headers_from_a_client_authenticate_no_one(invoke: Invoke, settings: Any) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "GATEWAY_CLAIM_HEADERS": True}
    spoofed = {
        "x-gateway-jwt-iss": ISSUER,
        "x-gateway-jwt-sub": "sub-alice",
        "x-gateway-jwt-scope": "pets/read",
    }

    result = invoke(jwt_event(None, headers=spoofed))

    # On Lambda only the event counts, even where the container setting is on.
    assert result["statusCode"] == 403
    assert not IdentityLink.objects.exists()


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "x", "scope": "pets/read"},
        {"iss": ISSUER, "scope": "pets/read"},
        {"iss": ISSUER, "sub": "", "scope": "pets/read"},
        {"iss": ISSUER, "sub": "x" * 300, "scope": "pets/read"},
    ],
)
def test_claims_without_issuer_or_subject_sign_in_no_one(
    invoke: Invoke, claims: dict[str, str]
) -> None:
    result = invoke(jwt_event(claims))

    assert result["statusCode"] == 403
    assert not IdentityLink.objects.exists()


def test_issuer_outside_the_allow_list_is_forbidden(invoke: Invoke, settings: Any) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "ISSUERS": ["https://login.example.org"]}

    result = invoke(jwt_event(claims_for()))

    assert result["statusCode"] == 403
    assert body(result) == {"message": "Forbidden"}


def test_deactivated_user_is_forbidden(invoke: Invoke) -> None:
    invoke(jwt_event(claims_for()))
    get_user_model().objects.update(is_active=False)

    assert invoke(jwt_event(claims_for()))["statusCode"] == 403


def test_an_invalid_email_claim_is_not_stored(invoke: Invoke) -> None:
    invoke(jwt_event(claims_for(email="not an email")))

    assert IdentityLink.objects.get().email == ""
