"""Page-number pagination that rejects bad `page` and `page_size` values instead of guessing."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

MAX_PAGE_SIZE = 100


def _parse_positive_int(raw: str, *, name: str, maximum: int | None = None) -> int:
    """An integer in 1..maximum, or a ValidationError naming the parameter."""
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: ["A valid integer is required."]}) from None
    if value < 1 or (maximum is not None and value > maximum):
        bound = f" and {maximum}" if maximum is not None else ""
        limits = f"between 1{bound}" if bound else "at least 1"
        raise ValidationError({name: [f"Ensure this value is {limits}."]})
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=` (from 1) and `?page_size=` (1 to 100); a page past the end is a 404."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return int(self.page_size or MAX_PAGE_SIZE)
        return _parse_positive_int(raw, name="page_size", maximum=self.max_page_size)

    def get_page_number(self, request: Request, paginator: Paginator[Any]) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        return _parse_positive_int(raw, name="page")

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "A page number, from 1. A page past the last one is a 404.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page, 1 to {self.max_page_size} "
                f"(default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        paginated: dict[str, Any] = super().get_paginated_response_schema(schema)
        paginated["required"] = ["count", "next", "previous", "results"]
        for link in ("next", "previous"):
            paginated["properties"][link].pop("example", None)
            paginated["properties"][link]["description"] = f"Absolute URL of the {link} page."
        return paginated
