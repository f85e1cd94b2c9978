"""Search and ordering filters that reject bad input (400) instead of guessing or failing."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters import rest_framework as django_filters_drf
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend, OrderingFilter, SearchFilter
from rest_framework.request import Request
from rest_framework.settings import api_settings


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

    Django's QueryDict hands views the last value, so the first would be silently ignored.
    Only `ordering` takes several values (StrictOrderingFilter reads every one).
    """

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: Any
    ) -> QuerySet[Any]:
        if getattr(view, "detail", False):
            return queryset  # get_object() filters too; a detail route has no parameters.
        names = set(request.query_params) - {api_settings.ORDERING_PARAM}
        if repeated := repeated_names(request.query_params, names):
            raise ValidationError({name: ["Give this parameter once."] for name in repeated})
        return queryset


class StrictFilterSet(django_filters.FilterSet):
    """A FilterSet that refuses an empty value (`?status=`) instead of ignoring it.

    django-filter reads an empty value as "no filter" and answers the whole list, while the
    OpenAPI document gives each parameter an enum or a number, neither of which admits "":
    a 400 naming the parameter, as for any other value the document refuses.
    """

    def is_valid(self) -> bool:
        valid = bool(super().is_valid())
        empty = [name for name in self.filters if self.data.get(name) == ""]
        for name in empty:
            self.form.add_error(name, "Give a value, or leave the parameter out.")
        return valid and not empty


class DjangoFilterBackend(django_filters_drf.DjangoFilterBackend):
    """django-filter's backend, skipped for a request without query parameters.

    A FilterSet over no data filters nothing, yet building and validating one (a form, deep
    copies of every filter) cost about a sixth of a keyed `GET /v1/pets/{id}`, which DRF
    filters too (docs/performance.md). With any parameter it runs as before, so
    `?species=` is still a 400 and a detail with `?species=cat` still a 404 for a dog.
    """

    def filter_queryset(
        self, request: Request, queryset: QuerySet[Any], view: Any
    ) -> QuerySet[Any]:
        if not request.query_params:
            return queryset
        return super().filter_queryset(request, queryset, view)  # type: ignore[no-any-return]


class StrictSearchFilter(SearchFilter):
    """`?search=`: a NUL character is a 400 (PostgreSQL refuses it in a LIKE pattern)."""

    def get_search_terms(self, request: Request) -> list[str]:
        value = request.query_params.get(self.search_param, "")
        if not value:
            # No search, as on almost every request (DRF runs filters on detail routes too):
            # DRF's answer for "" is [] too, after building and running a CharField.
            return []
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
    """`?ordering=name&ordering=-created_at` or `?ordering=name,-created_at`: each term must be
    in the view's `ordering_fields`.

    The repeated form is what OpenAPI's default array style (form, exploded) means and what
    generated clients send; the comma-separated form is what people type. Both are accepted.
    """

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        values = request.query_params.getlist(self.ordering_param)
        if not values:
            return self.get_default_ordering(view)
        # An empty `?ordering=` is an empty term, refused like `?ordering=name,` (the
        # document's items are the allowed terms): leave the parameter out for the default.
        terms = [term.strip() for term in ",".join(values).split(",")]
        return self.remove_invalid_fields(queryset, terms, view, request)

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
        if getattr(view, "detail", False) and not request.query_params:
            return queryset  # get() drops any ordering: no need to work one out.
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
                "description": (
                    "Sort fields, first to last; `-` sorts descending. Repeat the parameter "
                    "(`?ordering=name&ordering=-created_at`, what generated clients send) or "
                    "separate the fields with commas (`?ordering=name,-created_at`)."
                ),
                "schema": {"type": "array", "items": {"type": "string", "enum": terms}},
                "style": "form",
                "explode": True,
            }
        ]
