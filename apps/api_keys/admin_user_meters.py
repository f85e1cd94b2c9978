"""Admin: token users' usage plans and meters (a JWT user is metered like a key)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse

from apps.api_keys import conf, selectors, services
from apps.api_keys.charts import daily_usage_svg
from apps.api_keys.models import UserMeter
from apps.api_keys.users import UserSubject


def _subject(meter: UserMeter) -> UserSubject | None:
    """The meter with the plan it is metered on (None: no plan at all)."""
    plan = meter.plan or selectors.default_user_plan()
    return None if plan is None else UserSubject(pk=meter.pk, plan=plan, meter=meter)


@admin.register(UserMeter)
class UserMeterAdmin(admin.ModelAdmin[UserMeter]):
    """Assign a plan to a token user (empty: the default plan) and see their usage."""

    list_display = ("user", "plan_label", "last_used_at", "usage_this_period")
    list_filter = ("plan",)
    list_select_related = ("user", "plan")
    search_fields = ("user__username", "user__email", "user__identity_links__subject")
    autocomplete_fields = ("user",)
    actions = ("reset_usage",)
    change_form_template = "admin/api_keys/apikey/change_form.html"

    def get_fields(self, request: HttpRequest, obj: UserMeter | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("user", "plan")
        return ("user", "plan", "last_used_at", "usage_this_period")

    def get_readonly_fields(self, request: HttpRequest, obj: UserMeter | None = None) -> list[str]:
        return [] if obj is None else ["user", "last_used_at", "usage_this_period"]

    @admin.display(description="plan", ordering="plan__name")
    def plan_label(self, meter: UserMeter) -> str:
        return str(meter.plan) if meter.plan else "(default plan)"

    @admin.display(description="usage this period")
    def usage_this_period(self, meter: UserMeter) -> str:
        subject = _subject(meter)
        if subject is None:
            return "no plan"
        usage = selectors.api_key_period_usage(key=subject, now=conf.now())
        limit = "unlimited" if usage.limit is None else f"{usage.limit:,}"
        return f"{usage.used:,} / {limit} ({usage.period.lower()})"

    def save_model(
        self, request: HttpRequest, obj: UserMeter, form: ModelForm[UserMeter], change: bool
    ) -> None:
        if change:
            # The plan only: a full save would write back counters read with the page.
            UserMeter.objects.filter(pk=obj.pk).update(plan=obj.plan)
            return
        super().save_model(request, obj, form, change)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        meter = self.get_object(request, object_id)
        extra: dict[str, Any] = dict(extra_context or {})
        if meter is not None:
            days = selectors.meter_daily_usage(
                meter=UserMeter, owner_pk=meter.pk, today=conf.now().date()
            )
            extra["usage_days"] = days
            extra["usage_chart"] = daily_usage_svg(days, chart_id=f"user-usage-{meter.pk}")
        return super().change_view(request, object_id, form_url, extra)

    @admin.action(description="Reset usage for this period", permissions=["change"])
    def reset_usage(self, request: HttpRequest, queryset: QuerySet[UserMeter]) -> None:
        now = conf.now()
        for meter in queryset.select_related("plan"):
            subject = _subject(meter)
            if subject is None:
                continue
            forgotten = services.meter_usage_reset(key=subject, now=now)
            self.log_change(request, meter, f"Reset usage ({forgotten} requests forgotten).")
        self.message_user(request, "Usage reset for this period.", messages.SUCCESS)
