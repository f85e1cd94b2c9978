"""The admin's app config: autodiscovery at start, or with the admin's first use when deferred.

`django.contrib.admin`'s own AdminConfig imports every app's admin module in `ready()` (and
with them services, forms and serializers no API request uses). When apps.common.deferral
is on (a Lambda init on demand), this one leaves that to the first of: the admin's URLconf
opened (a request under /admin/, the first reverse()), or the admin's system checks.
"""

from __future__ import annotations

import threading
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.checks import check_admin_app, check_dependencies
from django.contrib.admin.sites import AdminSite
from django.core import checks

from apps.common import deferral

_lock = threading.Lock()
_discovered = False


def discover() -> None:
    """Import the apps' admin modules (their ModelAdmins register) once per process."""
    global _discovered
    if _discovered:
        return
    with _lock:
        if not _discovered:
            admin.autodiscover()
            _discovered = True


def check_admin_app_discovered(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Django's check of every registered ModelAdmin, after the registrations."""
    discover()
    return check_admin_app(app_configs, **kwargs)


class GatewayAdminConfig(AdminConfig):
    """`django.contrib.admin` (same label, templates and site), its autodiscovery deferrable."""

    def ready(self) -> None:
        global _discovered
        if not deferral.deferred():
            super().ready()
            _discovered = True
            return
        checks.register(check_dependencies, checks.Tags.admin)
        checks.register(check_admin_app_discovered, checks.Tags.admin)


class _DeferredAdminURLconf:
    """The admin site's URLconf, built when its resolver is first opened: after the apps'
    admin modules, since the site makes a URL per registered model."""

    def __init__(self, site: AdminSite) -> None:
        self.site = site

    @property
    def urlpatterns(self) -> list[Any]:
        discover()
        return self.site.get_urls()


def admin_urls(site: AdminSite) -> tuple[Any, str, str]:
    """`site.urls` for `path("admin/", ...)`; deferred, a URLconf built with its first use."""
    if not deferral.deferred():
        return site.urls
    return _DeferredAdminURLconf(site), "admin", site.name
