"""Print, as JSON, the environment variables production settings read: {name: required}.

Run in a fresh interpreter (`python -m tests.infra.settings_reads`). django-environ's
Env.get_value is recorded while gatewayproject.settings.production (and base, which it
imports) load; a read without a default is required. A required variable that is missing
gets a placeholder, so every later read is still seen, whatever other issues add.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import environ

REQUIRED_PLACEHOLDERS = {"DJANGO_SECRET_KEY": "placeholder-" + "x" * 50}


def _placeholder(name: str, cast: Any) -> str:
    if name in REQUIRED_PLACEHOLDERS:
        return REQUIRED_PLACEHOLDERS[name]
    if cast is bool:
        return "false"
    if cast in (int, float):
        return "1"
    if name.endswith("_URL"):
        return "sqlite:////tmp/placeholder.sqlite3"
    return "placeholder"


def main() -> int:
    reads: dict[str, bool] = {}
    original = environ.Env.get_value

    def recording(
        self: environ.Env,
        var: str,
        cast: Any = None,
        default: Any = environ.Env.NOTSET,
        parse_default: bool = False,
    ) -> Any:
        required = default is environ.Env.NOTSET
        reads[var] = reads.get(var, False) or required
        if required and var not in os.environ:
            os.environ[var] = _placeholder(var, cast)
        return original(self, var, cast=cast, default=default, parse_default=parse_default)

    environ.Env.get_value = recording  # type: ignore[method-assign]
    os.environ["DJANGO_SETTINGS_MODULE"] = "gatewayproject.settings.production"
    # A one-of pair (the value or its _SECRET_ARN) must be satisfied for the import to finish.
    os.environ.setdefault("DJANGO_SECRET_KEY", REQUIRED_PLACEHOLDERS["DJANGO_SECRET_KEY"])
    from django.conf import settings

    settings._setup()
    json.dump(reads, sys.stdout, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
