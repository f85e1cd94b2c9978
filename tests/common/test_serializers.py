"""Reads with fields built once per class (apps.common.serializers): DRF's output, exactly."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import override_settings
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from apps.common.serializers import CachedReadFieldsMixin, _readable_fields
from apps.pets.models import Pet, Species
from apps.pets.serializers import PetSerializer
from tests.factories import PetFactory

pytestmark = pytest.mark.django_db


def drf_representation(serializer: serializers.Serializer[Any], instance: Any) -> Any:
    """What DRF's own Serializer.to_representation makes of it (fields built per instance)."""
    return serializers.Serializer.to_representation(serializer, instance)


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"species": Species.CAT, "birth_date": datetime.date(2020, 2, 29), "notes": "Naps"},
        {"name": "Ünïcødé \u2603", "notes": "x" * 2000, "species": Species.OTHER},
    ],
)
def test_a_pet_reads_byte_for_byte_as_drf_makes_it(values: dict[str, Any]) -> None:
    pet = PetFactory(**values)
    ours = PetSerializer(pet)

    theirs = drf_representation(PetSerializer(pet), pet)

    assert ours.data == theirs
    assert JSONRenderer().render(ours.data) == JSONRenderer().render(theirs)
    # The shared fields, not a per-instance build: what makes the read cheap.
    assert "fields" not in ours.__dict__


def test_a_page_of_pets_reads_as_drf_makes_it() -> None:
    pets = [PetFactory(birth_date=datetime.date(2021, 1, day)) for day in range(1, 4)]

    ours = PetSerializer(pets, many=True).data
    theirs = [drf_representation(PetSerializer(pet), pet) for pet in pets]

    assert json.dumps(ours) == json.dumps(theirs)


def test_fields_already_built_or_edited_are_the_ones_read() -> None:
    pet = PetFactory(notes="kept out")
    serializer = PetSerializer(pet)
    serializer.fields.pop("notes")

    assert "notes" not in serializer.data
    assert list(serializer.data) == [
        "id", "name", "species", "birth_date", "version", "created_at", "updated_at",
    ]  # fmt: skip


class WithContext(CachedReadFieldsMixin, serializers.ModelSerializer[Pet]):
    """A field that reads the serializer's context: never shared."""

    caller = serializers.SerializerMethodField()

    class Meta:
        model = Pet
        fields = ("id", "caller")

    def get_caller(self, pet: Pet) -> str:
        return f"{self.context['who']} reads {pet.pk}"


class OwnFields(CachedReadFieldsMixin, serializers.ModelSerializer[Pet]):
    """A get_fields that depends on the context: never shared."""

    class Meta:
        model = Pet
        fields = ("id", "name", "notes")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        built = super().get_fields()
        if not self.context.get("notes"):
            built.pop("notes")
        return built


def test_a_field_that_reads_the_context_gets_each_serializers_own() -> None:
    pet = PetFactory()

    assert _readable_fields(WithContext) is None
    assert WithContext(pet, context={"who": "a"}).data["caller"] == f"a reads {pet.pk}"
    assert WithContext(pet, context={"who": "b"}).data["caller"] == f"b reads {pet.pk}"


def test_a_serializer_with_its_own_get_fields_builds_its_fields() -> None:
    pet = PetFactory(notes="secret")

    assert _readable_fields(OwnFields) is None
    assert list(OwnFields(pet).data) == ["id", "name"]
    assert OwnFields(pet, context={"notes": True}).data["notes"] == "secret"


def test_fields_are_built_again_after_a_setting_changes() -> None:
    pet = PetFactory()
    before = _readable_fields(PetSerializer)

    with override_settings(REST_FRAMEWORK={"COERCE_DECIMAL_TO_STRING": False}):
        during = _readable_fields(PetSerializer)
        assert PetSerializer(pet).data == drf_representation(PetSerializer(pet), pet)

    assert before is not None
    assert during is not None
    assert during[0] is not before[0]


def test_the_browsable_api_shows_the_same_pet_and_its_edit_form(api: Any, user: Any) -> None:
    pet = PetFactory(owner=user, name="Rex <b>", notes="Naps")

    page = api.get(f"/v1/pets/{pet.pk}", HTTP_ACCEPT="text/html")
    data = api.get(f"/v1/pets/{pet.pk}").json()

    assert page.status_code == 200
    html = page.content.decode()
    # The representation twice, as DRF's HTML renderer escapes it: the response, and the
    # PUT form's raw content.
    shown = JSONRenderer().render(data, "application/json; indent=4").decode()
    escaped = shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    escaped = escaped.replace('"', "&quot;")
    assert html.count(escaped) == 2
    assert 'data-method="PUT"' in html
