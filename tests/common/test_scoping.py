"""Owner scoping (apps.common.scoping): the query `filter(owner=...)` builds, built directly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db.models import QuerySet

from apps.common.scoping import owned_by
from apps.pets.models import Pet, Species
from apps.photos.models import Photo
from tests.factories import PetFactory, UserFactory

# PostgreSQL asks the server its version to write FOR UPDATE.
pytestmark = pytest.mark.django_db

# What views and services do with an owner's queryset, each compared as SQL text.
FOLLOW_UPS: dict[str, Callable[[QuerySet[Any]], QuerySet[Any]]] = {
    "as is": lambda q: q,
    "get by pk": lambda q: q.filter(pk=3),
    "filtered and ordered": lambda q: q.filter(species="dog").order_by("name"),
    "a page": lambda q: q[20:40],
    "distinct values": lambda q: q.order_by().values("species").distinct(),
    "or": lambda q: q | Pet.objects.filter(name="x"),
    "and": lambda q: q & Pet.objects.filter(name="x"),
    "excluding across the join": lambda q: q.exclude(owner__username="x"),
    "filtering across the join": lambda q: q.filter(owner__is_active=True),
    "as a subquery": lambda q: Pet.objects.filter(pk__in=q.values("pk")),
    "for update": lambda q: q.select_for_update(),
}


@pytest.mark.parametrize("follow_up", FOLLOW_UPS.values(), ids=FOLLOW_UPS.keys())
def test_the_query_is_the_one_filter_builds(
    follow_up: Callable[[QuerySet[Any]], QuerySet[Any]],
) -> None:
    ours = follow_up(owned_by(Pet, 7))
    theirs = follow_up(Pet.objects.filter(owner=7))

    assert str(ours.query) == str(theirs.query)


def test_another_foreign_key_can_scope() -> None:
    assert str(owned_by(Photo, 7, field="pet").query) == str(Photo.objects.filter(pet=7).query)


def test_a_field_that_is_no_foreign_key_is_refused() -> None:
    with pytest.raises(TypeError, match="not a foreign key"):
        owned_by(Pet, 7, field="name")


def test_only_the_owners_rows_are_read_counted_changed_and_deleted() -> None:
    owner, other = UserFactory(), UserFactory()
    mine = PetFactory.create_batch(2, owner=owner, species=Species.DOG)
    theirs = PetFactory(owner=other, species=Species.DOG)

    assert {pet.pk for pet in owned_by(Pet, owner.pk)} == {pet.pk for pet in mine}
    assert owned_by(Pet, owner.pk).count() == 2
    assert not owned_by(Pet, owner.pk).filter(pk=theirs.pk).exists()
    assert owned_by(Pet, owner.pk).update(species=Species.CAT) == 2
    assert owned_by(Pet, owner.pk).delete()[0] == 2
    assert list(Pet.objects.values_list("pk", "species")) == [(theirs.pk, Species.DOG)]
