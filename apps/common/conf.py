"""One namespaced settings dict per app, read over a typed dataclass of its defaults."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.conf import settings
from django.core import checks

if TYPE_CHECKING:
    from _typeshed import DataclassInstance as Defaults
else:
    Defaults = object

# A frozen dataclass instance: one field per setting, its default as the value.
D = TypeVar("D", bound="Defaults")


# The last dict read per setting (a copy) and what it made: a keyed request reads its
# settings several times, and comparing two small dicts is ten times cheaper than a new
# dataclass. A changed dict (override_settings, or edited in place) never equals the copy.
_last: dict[str, tuple[dict[str, Any], Any]] = {}


def app_settings(setting: str, defaults: D) -> D:
    """`settings.<setting>` laid over `defaults`, read at every call so override_settings works.

    Keys the dataclass does not know are left out here and reported by `check_namespace`
    (a system check), so a typo fails at start-up rather than at some later request.
    """
    configured = getattr(settings, setting, None)
    if not configured or not isinstance(configured, dict):
        return defaults
    last = _last.get(setting)
    if last is not None and last[0] == configured:
        return cast(D, last[1])
    known = {
        key: value for key, value in configured.items() if key in defaults.__dataclass_fields__
    }
    result = dataclasses.replace(defaults, **known)
    _last[setting] = (dict(configured), result)
    return result


def check_namespace(setting: str, defaults: Defaults, *, id: str) -> list[checks.CheckMessage]:
    """Errors for a `settings.<setting>` that is not a dict, or holds keys the app does not read."""
    configured = getattr(settings, setting, None)
    if configured is None:
        return []
    if not isinstance(configured, dict):
        return [checks.Error(f"{setting} must be a dict, not {configured!r}.", id=id)]
    unknown = sorted(str(key) for key in configured if key not in defaults.__dataclass_fields__)
    if not unknown:
        return []
    return [
        checks.Error(
            f"{setting} has unknown keys: {', '.join(unknown)}.",
            hint=f"Known keys: {', '.join(defaults.__dataclass_fields__)}.",
            id=id,
        )
    ]
