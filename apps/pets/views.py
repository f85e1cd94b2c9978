"""HTTP wiring for /v1/pets: thin views over selectors and services (OpenAPI text: schema.py)."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.urls import reverse
from rest_framework import status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from apps.common.idempotency import idempotent
from apps.common.viewsets import (
    ConditionalDestroyMixin,
    ConditionalListMixin,
    ConditionalRetrieveMixin,
    ConditionalUpdateMixin,
)
from apps.identity.scopes import PETS
from apps.pets import selectors, services
from apps.pets.filters import PetFilter
from apps.pets.models import Pet
from apps.pets.serializers import PetSerializer


class PetViewSet(
    ConditionalListMixin,
    ConditionalRetrieveMixin,
    ConditionalUpdateMixin,
    ConditionalDestroyMixin,
    viewsets.ModelViewSet[Pet],
):
    """The caller's pets. Someone else's pet is a 404 for every method."""

    serializer_class = PetSerializer
    token_scopes = PETS  # pets/read to read, pets/write to write (token users)
    # Ids are integers: anything else is an unknown route (404), never a 500.
    lookup_value_regex = r"[0-9]{1,18}"
    filterset_class = PetFilter
    search_fields = ("name",)
    ordering_fields = ("name", "created_at")
    ordering = ("-created_at",)

    def get_queryset(self) -> QuerySet[Pet]:
        return selectors.pet_list(owner=self.request.user)

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pet = services.pet_create(owner=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        location = request.build_absolute_uri(reverse("pets:pet-detail", args=[pet.pk]))
        return Response(
            self.get_serializer(pet).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location, "ETag": str(self.object_etag(pet))},
        )

    def perform_update(self, serializer: BaseSerializer[Pet]) -> None:
        pet = cast(Pet, serializer.instance)
        serializer.instance = services.pet_update(
            pet=pet, data=dict(serializer.validated_data), expected_version=self.expected_version
        )

    def perform_destroy(self, instance: Pet) -> None:
        services.pet_delete(pet=instance, expected_version=self.expected_version)
