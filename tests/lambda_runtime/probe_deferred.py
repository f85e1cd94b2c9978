"""Run in a fresh interpreter by test_deferred_init.py: what a Lambda init on demand leaves to
first use (apps.common.deferral), and that each of those uses still finds all of it.

`python -m tests.lambda_runtime.probe_deferred setup` migrates, collects the static files
(the admin's pages name them through the manifest), creates a pet (tests.lambda_runtime.probe)
and a staff user's session, and prints the pet's event headers and the session cookie.
`... admin EVENT_JSON COOKIE` imports the handler, serves EVENT, then the admin's login page
and the pets changelist as that staff user. `... reverse` reverses every route name.
`... check` runs `manage.py check` through the `manage` entry point. Each prints JSON: which
DEFERRED modules were loaded after init (and after each step) and what the step returned.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from tests.lambda_runtime.probe import Context

# What a first keyed `GET /v1/pets/{id}` does not use, which an init on demand leaves to the
# first request that does: the apps' admin modules (and the services and forms they import)
# and the other apps' URLconfs with their views.
DEFERRED_MODULES = (
    "apps.api_keys.admin",
    "apps.api_keys.services",
    "apps.api_keys.urls",
    "apps.api_keys.views",
    "apps.idempotency.admin",
    "apps.identity.admin",
    "apps.pets.admin",
    "apps.photos.admin",
    "apps.photos.services",
    "apps.photos.urls",
    "apps.photos.views",
    "apps.realtime.admin",
    "apps.realtime.urls",
    "apps.realtime.views",
    "django.contrib.auth.admin",
)
# The pets' URLconf and views: on demand, with the first request for a pets path.
PETS_MODULES = ("apps.pets.urls", "apps.pets.views")
# What the receivers and system checks registered at ready() call, imported with their first
# signal, event or check run (lazy imports, on every kind of init): photos' serializers,
# storage and parsers behind apps.photos.signals and apps.photos.events, the realtime
# protocol (with the photos' and keys' event types) and fan-out behind
# apps.realtime.receivers, the settings modules the photos', realtime's and idempotency's
# checks check, the idempotency store (`@idempotent` views import it with the first request
# that carries an Idempotency-Key) and the deep health check's dependency checks
# (apps.common.views, with the first `/health?deep=1`); on demand, WhiteNoise (with the first
# request under the static prefix, apps.common.staticfiles); Django's static file view, which
# the URLconf routes only while DEBUG is on. An init on demand and a first pets request load
# none of them.
LAZY_MODULES = (
    "apps.common.health",
    "apps.idempotency.conf",
    "apps.idempotency.stores",
    "apps.api_keys.events",
    "apps.photos.conf",
    "apps.photos.events",
    "apps.photos.parsers",
    "apps.photos.serializers",
    "apps.photos.storage",
    "apps.realtime.conf",
    "apps.realtime.connections_api",
    "apps.realtime.fanout",
    "apps.realtime.protocol",
    "apps.realtime.services",
    "django.conf.urls.static",
    "whitenoise.middleware",
)
# Values for the URL parameters of every named route (the admin's and the API's), tried in
# turn: pets have integer keys, photos UUIDs.
PARAMETERS = {
    "app_label": ("pets",),
    "content_type_id": ("7",),
    "id": ("7",),
    "object_id": ("7",),
    "pk": ("7", "0c3e7b9a-4d7f-4b49-9a6a-0123456789ab"),
}


def loaded(names: tuple[str, ...] = DEFERRED_MODULES) -> list[str]:
    return [name for name in names if name in sys.modules]


def registered() -> list[str]:
    from django.contrib import admin

    return sorted(model._meta.label for model in admin.site._registry)


def setup() -> dict[str, Any]:
    from tests.lambda_runtime import probe

    prepared = probe.setup()
    from lambda_runtime.handler import manage

    collected = manage({"command": "collectstatic", "args": ["--noinput"]}, Context())
    if not collected["ok"]:
        raise SystemExit(collected["output"])
    from django.conf import settings
    from django.test import Client

    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return prepared | {"cookie": cookie}


def admin_pages(event: dict[str, Any], cookie: str) -> dict[str, Any]:
    from lambda_runtime.handler import handler
    from tests.lambda_runtime import events

    report: dict[str, Any] = {"init": loaded(), "pets_init": loaded(PETS_MODULES)}
    report["registered_at_init"] = registered()
    report["status"] = handler(event, Context())["statusCode"]
    report["first_request"] = loaded()
    report["pets_first_request"] = loaded(PETS_MODULES)
    report["lazy_first_request"] = loaded(LAZY_MODULES)
    host = event["headers"]["host"]
    login = handler(events.http_api(path="/admin/login/", host=host), Context())
    report["login_status"] = login["statusCode"]
    report["after_login"] = loaded()
    staff = events.http_api(path="/admin/pets/pet/", host=host, headers={"cookie": cookie})
    changelist = handler(staff, Context())
    report["changelist_status"] = changelist["statusCode"]
    report["changelist_lists_the_pet"] = ">Probe</a>" in changelist["body"]
    report["registered_after"] = registered()
    return report


def _routes(patterns: list[Any], prefix: str = "", namespace: str = "") -> dict[str, str]:
    """Every named route's qualified name, and its pattern (the prefixes joined)."""
    from django.urls import URLResolver

    found: dict[str, str] = {}
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found |= _routes(pattern.url_patterns, route, inner)
        elif pattern.name:
            found.setdefault(namespace + pattern.name, route)
    return found


def reverse_all() -> dict[str, Any]:
    from django.urls import NoReverseMatch, get_resolver, reverse

    from lambda_runtime.handler import handler  # noqa: F401 (init)

    report: dict[str, Any] = {"init": loaded(), "registered_at_init": registered()}
    # reverse() first: on demand it opens every resolver (the walk below would too).
    reverse("health")
    report["after_reverse"] = loaded()
    paths: dict[str, str] = {}
    for name, route in sorted(_routes(get_resolver().url_patterns).items()):
        names = [a or b for a, b in re.findall(r"\(\?P<(\w+)>|<(?:\w+:)?(\w+)>", route)]
        paths[name] = "NoReverseMatch"
        for attempt in range(2):
            kwargs = {key: PARAMETERS[key][min(attempt, len(PARAMETERS[key]) - 1)] for key in names}
            try:
                paths[name] = reverse(name, kwargs=kwargs)
                break
            except NoReverseMatch:
                continue
    report["paths"] = paths
    return report


def check() -> dict[str, Any]:
    from django.contrib.admin import ModelAdmin

    from lambda_runtime.handler import manage

    report: dict[str, Any] = {"init": loaded(), "registered_at_init": registered()}
    checked: list[str] = []
    check = ModelAdmin.check

    def counting(self: ModelAdmin[Any], **kwargs: Any) -> Any:
        checked.append(self.model._meta.label)
        return check(self, **kwargs)

    ModelAdmin.check = counting  # type: ignore[method-assign]
    result = manage({"command": "check", "args": ["--tag", "admin"]}, Context())
    report |= {"ok": result["ok"], "output": result["output"], "checked": sorted(checked)}
    report["registered_after"] = registered()
    return report


def main() -> None:
    mode = sys.argv[1]
    if mode == "setup":
        result = setup()
    elif mode == "admin":
        result = admin_pages(json.loads(sys.argv[2]), sys.argv[3])
    elif mode == "reverse":
        result = reverse_all()
    else:
        result = check()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
