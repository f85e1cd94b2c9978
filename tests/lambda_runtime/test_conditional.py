"""Conditional requests and Idempotency-Key through the Lambda front doors (payload 2.0 and 1.0)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apps.api_keys.models import KeyMeter
from apps.pets.models import Pet
from tests.factories import PetFactory
from tests.lambda_runtime import events
from tests.lambda_runtime.conftest import Invoke, body_json, header

pytestmark = pytest.mark.django_db

BODY = json.dumps({"name": "Tom", "species": "cat"})


@pytest.fixture
def pet(user: Any) -> Pet:
    pet: Pet = PetFactory(owner=user, name="Rex")
    return pet


def v2(**kwargs: Any) -> dict[str, Any]:
    return events.http_api(**kwargs)


def v1(headers: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    return events.rest(events.HTTP_API_V1, headers=events.multi(headers), **kwargs)


FRONT_DOORS = {"payload 2.0": v2, "payload 1.0": v1}


@pytest.fixture(params=sorted(FRONT_DOORS))
def door(request: pytest.FixtureRequest) -> Any:
    return FRONT_DOORS[request.param]


def test_if_none_match_is_a_304_with_no_body_and_still_metered(
    invoke: Invoke, door: Any, auth_headers: Any, user: Any, pet: Pet
) -> None:
    headers = auth_headers(user)
    path = f"/v1/pets/{pet.pk}"
    first = invoke(door(path=path, headers=headers))
    etag = header(first, "etag")
    assert first["statusCode"] == 200
    assert etag is not None

    second = invoke(door(path=path, headers={**headers, "If-None-Match": etag}))

    assert second["statusCode"] == 304
    assert second["body"] == ""
    assert header(second, "etag") == etag
    assert header(second, "cache-control") in ("private, no-cache", "no-cache, private")
    assert header(second, "content-type") is None
    assert KeyMeter.objects.get().period_count == 2


def test_a_stale_if_match_is_412_and_writes_nothing(
    invoke: Invoke, door: Any, auth_headers: Any, user: Any, pet: Pet
) -> None:
    headers = {**auth_headers(user), "If-Match": '"stale"', "content-type": "application/json"}

    result = invoke(door(method="PUT", path=f"/v1/pets/{pet.pk}", headers=headers, body=BODY))

    assert result["statusCode"] == 412
    assert body_json(result) == {"message": "Precondition Failed"}
    assert header(result, "etag")
    assert Pet.objects.get().name == "Rex"


def test_an_idempotent_retry_is_replayed(
    invoke: Invoke, door: Any, auth_headers: Any, user: Any
) -> None:
    headers = {
        **auth_headers(user),
        "Idempotency-Key": "lambda-1",
        "content-type": "application/json",
    }

    first = invoke(door(method="POST", path="/v1/pets", headers=headers, body=BODY))
    retry = invoke(door(method="POST", path="/v1/pets", headers=headers, body=BODY))

    assert (first["statusCode"], retry["statusCode"]) == (201, 201)
    assert header(retry, "idempotent-replayed") == "true"
    assert body_json(retry) == body_json(first)
    assert Pet.objects.count() == 1
