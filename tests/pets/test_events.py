"""Pet domain events: created, updated, deleted, after commit, for the owner, in order."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.common.events import DomainEvent

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


def test_create_update_delete_publish_in_order_with_the_api_representation(
    api: APIClient,
    user: Any,
    published: list[DomainEvent],
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/v1/pets", {"name": "Rex", "species": "dog"}).json()
    with django_capture_on_commit_callbacks(execute=True):
        updated = api.patch(f"/v1/pets/{created['id']}", {"name": "Max"}).json()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/v1/pets/{created['id']}").status_code == 204

    assert [(e.type, e.object_id, e.version) for e in published] == [
        ("pet.created", created["id"], 1),
        ("pet.updated", created["id"], 2),
        ("pet.deleted", created["id"], 2),
    ]
    assert {e.owner_id for e in published} == {user.pk}
    assert published[0].data == created
    assert published[1].data == updated
    assert published[2].data is None


def test_refused_writes_publish_nothing(
    api: APIClient, published: list[DomainEvent], django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/v1/pets", {"name": "", "species": "dog"}).status_code == 400
        pet = api.post("/v1/pets", {"name": "Rex", "species": "dog"}).json()
    published.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.patch(f"/v1/pets/{pet['id']}", {"species": "dragon"}).status_code == 400

    assert published == []


def test_a_put_publishes_one_update(
    api: APIClient, published: list[DomainEvent], django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        pet = api.post("/v1/pets", {"name": "Rex", "species": "dog"}).json()
        api.put(f"/v1/pets/{pet['id']}", {"name": "Rex", "species": "cat"})

    assert [e.type for e in published] == ["pet.created", "pet.updated"]
    assert published[1].data is not None
    assert published[1].data["species"] == "cat"
