"""Search and ordering filters that reject bad input (400) instead of guessing or failing."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend, OrderingFilter, SearchFilter
from rest_framework.request import Request


def repeated_names(data: Any, names: Collection[str] | None = None) -> list[str]:
    """The keys of a QueryDict given more than once (only among `names`, when given).

    Django hands a view the last value of a repeated key, silently dropping the others. A
    plain dict (a JSON or raw body) cannot repeat a key: none.
    """
    lists = getattr(data, "lists", None)
    if lists is None:
        return []
    return sorted(
        name for name, values in lists() if len(values) > 1 and (names is None or name in names)
    )


class SingleValuedParamsFilter(BaseFilterBackend):
    """Each query parameter of a list at most once: `?species=dog&species=cat` is a 400.

    Django's QueryDict hands views the last value, so the first would be silently ignored;
    none of our parameters takes several values (ordering takes a comma-separated list).
    """

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: Any
    ) -> QuerySet[Any]:
        if getattr(view, "detail", False):
            return queryset  # get_object() filters too; a detail route has no parameters.
        if repeated := repeated_names(request.query_params):
            raise ValidationError({name: ["Give this parameter once."] for name in repeated})
        return queryset


class StrictSearchFilter(SearchFilter):
    """`?search=`: a NUL character is a 400 (PostgreSQL refuses it in a LIKE pattern)."""

    def get_search_terms(self, request: Request) -> list[str]:
        value = request.query_params.get(self.search_param, "")
        if "\x00" in value:
            raise ValidationError({self.search_param: ["Null characters are not allowed."]})
        return list(super().get_search_terms(request))

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = ", ".join(getattr(view, "search_fields", None) or [])
        return [
            {
                "name": self.search_param,
                "required": False,
                "in": "query",
                "description": f"Case-insensitive match on: {fields}.",
                # NUL is refused (see get_search_terms); the document says so.
                "schema": {"type": "string", "pattern": r"^[^\x00]*$"},
            }
        ]


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=name,-created_at`: each term must be in the view's `ordering_fields`."""

    def remove_invalid_fields(
        self, queryset: QuerySet[Any], fields: Iterable[str], view: Any, request: Request
    ) -> list[str]:
        allowed = self.allowed_terms(queryset, view, request)
        unknown = [term for term in fields if term not in allowed]
        if unknown:
            raise ValidationError(
                {
                    "ordering": [
                        f"Unknown ordering {', '.join(map(repr, unknown))}. "
                        f"Allowed: {', '.join(allowed)}."
                    ]
                }
            )
        return list(fields)

    def allowed_terms(self, queryset: QuerySet[Any], view: Any, request: Request) -> list[str]:
        valid = [item[0] for item in self.get_valid_fields(queryset, view, {"request": request})]
        return [term for field in valid for term in (field, f"-{field}")]

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: Any
    ) -> QuerySet[Any]:
        ordering = self.get_ordering(request, queryset, view)
        if ordering:
            # The primary key breaks ties, so pages never repeat or skip a row.
            return queryset.order_by(*ordering, "-pk")
        return queryset

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = list(getattr(view, "ordering_fields", None) or [])
        terms = [term for field in fields for term in (field, f"-{field}")]
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated sort fields; prefix with `-` for descending.",
                "schema": {"type": "array", "items": {"type": "string", "enum": terms}},
                "style": "form",
                "explode": False,
            }
        ]
