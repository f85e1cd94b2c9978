"""Admin: the usage overview page (requests and refusals per plan and key, quota headroom)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from apps.api_keys import conf
from apps.api_keys.charts import daily_usage_svg


class UsageOverviewAdminMixin:
    """Adds `<changelist>/usage/` to the API key admin, for staff who may view keys."""

    admin_site: Any
    opts: Any

    def get_urls(self) -> list[URLPattern]:
        urls: list[URLPattern] = super().get_urls()  # type: ignore[misc]
        info = self.opts.app_label, self.opts.model_name
        overview = path(
            "usage/",
            self.admin_site.admin_view(self.usage_overview_view),
            name="{}_{}_usage".format(*info),
        )
        return [overview, *urls]

    def usage_overview_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):  # type: ignore[attr-defined]
            raise PermissionDenied
        # Imported by the page's first request: its seven dataclasses are not built when the
        # admin registers, in every process (a Lambda's init among them).
        from apps.api_keys.usage_overview import CLOSEST_ROWS, KEY_ROWS, USER_ROWS, usage_overview

        overview = usage_overview(now=conf.now())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "API usage, last 30 days",
            "overview": overview,
            "chart": daily_usage_svg(overview.daily_requests, chart_id="usage-all"),
            "key_rows": KEY_ROWS,
            "user_rows": USER_ROWS,
            "closest_rows": CLOSEST_ROWS,
        }
        return TemplateResponse(request, "admin/api_keys/apikey/usage_overview.html", context)
