"""The JSON parser for /v1: DRF's, with nesting too deep for Python's decoder a 400 too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser turns a ValueError into a 400, but `[[[[...]]]]` nested a few
    thousand levels deep makes the standard decoder raise RecursionError, which would
    be a 500. A body like that is malformed input; it gets the same 400."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
