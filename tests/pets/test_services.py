"""Pet services: creation rules and version bumps."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.pets import services
from apps.pets.models import Pet
from tests.factories import PetFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_pet_create_validates_the_model() -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.pet_create(owner=UserFactory(), name="", species="unicorn")

    assert set(excinfo.value.message_dict) == {"name", "species"}
    assert not Pet.objects.exists()


def test_pet_create_refuses_a_future_birth_date() -> None:
    future = datetime.date.today() + datetime.timedelta(days=2)

    with pytest.raises(ValidationError):
        services.pet_create(owner=UserFactory(), name="Rex", species="dog", birth_date=future)


def test_pet_update_bumps_version_atomically() -> None:
    pet = PetFactory()
    stale = Pet.objects.get(pk=pet.pk)

    services.pet_update(pet=pet, data={"name": "A"})
    services.pet_update(pet=stale, data={"notes": "B"})

    pet.refresh_from_db()
    assert pet.version == 3  # both writers counted, even the one holding a stale copy


def test_pet_update_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="owner"):
        services.pet_update(pet=PetFactory(), data={"owner": UserFactory()})


def test_database_refuses_an_empty_name() -> None:
    pet = PetFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Pet.objects.filter(pk=pet.pk).update(name="")


def test_database_refuses_an_unknown_species() -> None:
    pet = PetFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Pet.objects.filter(pk=pet.pk).update(species="dragon")


def test_deleting_a_user_deletes_their_pets() -> None:
    pet = PetFactory()

    pet.owner.delete()

    assert not Pet.objects.filter(pk=pet.pk).exists()


def test_updating_a_pet_deleted_meanwhile_raises_pet_not_found() -> None:
    from apps.pets.exceptions import PetNotFoundError

    pet = PetFactory()
    Pet.objects.filter(pk=pet.pk).delete()  # a concurrent DELETE after the view loaded it

    with pytest.raises(PetNotFoundError):
        services.pet_update(pet=pet, data={"name": "Ghost"})

    assert not Pet.objects.filter(pk=pet.pk).exists()
