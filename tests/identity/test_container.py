"""Token users behind the VPC link: the claim headers count only where the container's
production configuration says API Gateway wrote them."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.identity.models import IdentityLink
from tests.identity.conftest import ISSUER

pytestmark = pytest.mark.django_db

MAPPED = {
    "HTTP_X_GATEWAY_JWT_ISS": ISSUER,
    "HTTP_X_GATEWAY_JWT_SUB": "sub-carol",
    "HTTP_X_GATEWAY_JWT_SCOPE": "pets/read pets/write",
    "HTTP_X_GATEWAY_JWT_EMAIL": "carol@example.com",
}


def test_mapped_headers_sign_in_where_the_setting_is_on(settings: Any) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "GATEWAY_CLAIM_HEADERS": True}

    response = APIClient().get("/v1/pets", **MAPPED)

    assert response.status_code == 200
    assert IdentityLink.objects.get().email == "carol@example.com"


def test_the_same_headers_are_ignored_where_the_setting_is_off() -> None:
    response = APIClient().get("/v1/pets", **MAPPED)

    assert response.status_code == 403
    assert not IdentityLink.objects.exists()


def test_json_quoted_claim_values_are_read_as_strings(settings: Any) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "GATEWAY_CLAIM_HEADERS": True}
    quoted = {
        **MAPPED,
        "HTTP_X_GATEWAY_JWT_SUB": '"sub-carol"',
        "HTTP_X_GATEWAY_JWT_ISS": f'"{ISSUER}"',
    }

    assert APIClient().get("/v1/pets", **quoted).status_code == 200
    assert IdentityLink.objects.get().subject == "sub-carol"


def test_empty_mapped_subject_signs_in_no_one(settings: Any) -> None:
    # A public route's mapping removes the headers; an empty value is no identity either.
    settings.IDENTITY = {**settings.IDENTITY, "GATEWAY_CLAIM_HEADERS": True}

    response = APIClient().get("/v1/pets", **{**MAPPED, "HTTP_X_GATEWAY_JWT_SUB": ""})

    assert response.status_code == 403
