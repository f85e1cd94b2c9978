"""One namespaced settings dict per app, read over a typed NamedTuple of its defaults."""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar, cast

from django.conf import settings
from django.core import checks

# A NamedTuple instance: one field per setting, its default as the value. Not a dataclass:
# each @dataclass compiles its generated methods when its module is imported, which for the
# apps' settings classes alone was ~2% of the instructions of a Lambda cold start.
D = TypeVar("D", bound=NamedTuple)


# The last dict read per setting (a copy) and what it made: a keyed request reads its
# settings several times, and comparing two small dicts is ten times cheaper than a new
# settings object. A changed dict (override_settings, or edited in place) never equals the copy.
_last: dict[str, tuple[dict[str, Any], Any]] = {}


def app_settings(setting: str, defaults: D) -> D:
    """`settings.<setting>` laid over `defaults`, read at every call so override_settings works.

    Keys the defaults do not know are left out here and reported by `check_namespace`
    (a system check), so a typo fails at start-up rather than at some later request.
    """
    configured = getattr(settings, setting, None)
    if not configured or not isinstance(configured, dict):
        return defaults
    last = _last.get(setting)
    if last is not None and last[0] == configured:
        return cast(D, last[1])
    known = {key: value for key, value in configured.items() if key in defaults._fields}
    result = defaults._replace(**known)
    _last[setting] = (dict(configured), result)
    return result


def check_namespace(setting: str, defaults: NamedTuple, *, id: str) -> list[checks.CheckMessage]:
    """Errors for a `settings.<setting>` that is not a dict, or holds keys the app does not read."""
    configured = getattr(settings, setting, None)
    if configured is None:
        return []
    if not isinstance(configured, dict):
        return [checks.Error(f"{setting} must be a dict, not {configured!r}.", id=id)]
    unknown = sorted(str(key) for key in configured if key not in defaults._fields)
    if not unknown:
        return []
    return [
        checks.Error(
            f"{setting} has unknown keys: {', '.join(unknown)}.",
            hint=f"Known keys: {', '.join(defaults._fields)}.",
            id=id,
        )
    ]
