"""What a Lambda init on demand leaves to first use: the admin's registrations, app URLconfs.

An init on demand (AWS_LAMBDA_INITIALIZATION_TYPE=on-demand) is on the first request's path,
so lambda_runtime.handler calls `defer()` before `django.setup()`: the admin then imports the
apps' admin modules with the first /admin/ request, the first reverse() or a system check
(apps.common.admin_apps), and each app's URLconf (views, serializers, services) loads with
the first request for one of its paths. Everything else (servers, tests, SnapStart and
provisioned-concurrency inits, manage.py) builds all of it at start, as before.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLResolver, include
from django.urls.resolvers import RoutePattern

_deferred = False


def defer() -> None:
    """Leave the admin's autodiscovery and the apps' URLconfs to their first use (call it
    before `django.setup()` and before the URLconf is imported)."""
    global _deferred  # one switch for the process, set once at init
    _deferred = True


def deferred() -> bool:
    return _deferred


class AppPrefix(RoutePattern):
    """A prefix shared by several apps (`v1/`) that matches only when the rest of the path
    starts with one of this app's `heads`: a request for another app's path neither opens
    this app's URLconf (an unmatched resolver is never opened) nor tries its patterns.

    Every one of the app's patterns must start with one of the heads
    (tests/project/test_urls.py checks it). Its str() is the prefix's, so routes,
    `resolver_match.route` and the metrics' Route dimension are what a plain prefix gives.
    """

    def __init__(self, route: str, heads: tuple[str, ...]) -> None:
        super().__init__(route, is_endpoint=False)
        self.heads = heads

    def match(self, path: str) -> tuple[str, tuple[Any, ...], dict[str, Any]] | None:
        found = super().match(path)
        if found is None or not found[0].startswith(self.heads):
            return None
        return found


def app_urls(prefix: str, heads: tuple[str, ...], urlconf: str, app_name: str) -> URLResolver:
    """`path(prefix, include(urlconf))` for one app whose paths start with `heads`; the
    module is imported now, or (deferred) when a path first matches."""
    module: Any = urlconf
    if not _deferred:
        module, found_name, _ = include(urlconf)
        if found_name != app_name:
            raise ValueError(f"{urlconf}.app_name is {found_name!r}, not {app_name!r}")
    return URLResolver(AppPrefix(prefix, heads), module, app_name=app_name, namespace=app_name)
