"""OpenAPI for /v1/pets: each operation's text (loaded with the generator, not at start-up)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema

from apps.common.schema import document_view
from apps.pets.views import PetViewSet

PET_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The pet's id."
)

document_view(
    PetViewSet,
    list=extend_schema(summary="List your pets", description="A page of the caller's pets."),
    create=extend_schema(
        summary="Create a pet",
        description="Creates a pet owned by the caller; the `Location` header is its URL.",
    ),
    retrieve=extend_schema(summary="Read a pet", parameters=[PET_ID]),
    update=extend_schema(
        summary="Replace a pet",
        description="Replaces every writable field; omitted optional fields are cleared.",
        parameters=[PET_ID],
    ),
    partial_update=extend_schema(summary="Update some fields of a pet", parameters=[PET_ID]),
    destroy=extend_schema(summary="Delete a pet", parameters=[PET_ID]),
)
