"""Admin control plane: usage plans, API keys (raw key shown once), revoke, reset, usage chart."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from apps.api_keys import (
    admin_user_meters,  # noqa: F401 (registers UserMeterAdmin)
    conf,
    selectors,
    services,
)
from apps.api_keys.admin_gateway import (
    GATEWAY_FIELDS,
    GatewaySyncAdminMixin,
    admin_date,
    key_usage_days,
)
from apps.api_keys.admin_usage import UsageOverviewAdminMixin
from apps.api_keys.admin_users import register_user_admin
from apps.api_keys.charts import daily_usage_svg
from apps.api_keys.gateway import hooks, keys, plans
from apps.api_keys.models import APIKey, UsagePlan

RAW_KEY_ATTR = "_api_key_raw"
KEY_ERROR_ATTR = "_api_key_not_created"


@admin.register(UsagePlan)
class UsagePlanAdmin(GatewaySyncAdminMixin, admin.ModelAdmin[UsagePlan]):
    list_display = (
        "name",
        "rate",
        "burst",
        "limit",
        "period",
        "offset",
        "key_count",
        "gateway_state",
    )
    search_fields = ("name", "description")
    list_filter = ("period",)
    readonly_fields = ("created_at", "updated_at", *GATEWAY_FIELDS)
    actions = ("sync_with_gateway",)

    def get_fieldsets(self, request: HttpRequest, obj: UsagePlan | None = None) -> Any:
        return [
            (None, {"fields": ("name", "description")}),
            ("Throttle (token bucket, per key)", {"fields": ("rate", "burst")}),
            ("Quota (per key, UTC periods)", {"fields": ("limit", "period", "offset")}),
            ("History", {"fields": ("created_at", "updated_at")}),
            *(self.gateway_fieldsets() if obj is not None else ()),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[UsagePlan]:
        return (
            super()
            .get_queryset(request)
            .select_related("gateway")
            .annotate(key_total=Count("api_keys"))
        )

    def save_model(
        self, request: HttpRequest, obj: UsagePlan, form: ModelForm[UsagePlan], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        hooks.push_plan_on_commit(obj)

    def delete_model(self, request: HttpRequest, obj: UsagePlan) -> None:
        super().delete_model(request, obj)
        self.after_delete()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[UsagePlan]) -> None:
        super().delete_queryset(request, queryset)
        self.after_delete()

    def push_to_gateway(self, obj: UsagePlan) -> bool:
        return plans.plan_push(plan=obj)

    @admin.display(description="keys", ordering="key_total")
    def key_count(self, plan: UsagePlan) -> int:
        return int(getattr(plan, "key_total", 0))


@admin.register(APIKey)
class APIKeyAdmin(UsageOverviewAdminMixin, GatewaySyncAdminMixin, admin.ModelAdmin[APIKey]):
    list_display = (
        "name",
        "prefix",
        "owner",
        "plan",
        "status_label",
        "last_used",
        "usage_this_period",
        "created",
        "expiry_date",
        "gateway_state",
    )
    list_filter = ("plan", "revoked", "created")
    list_select_related = ("owner", "plan", "meter", "gateway")
    search_fields = ("name", "prefix", "owner__username", "owner__email")
    autocomplete_fields = ("owner",)
    ordering = ("-created",)
    actions = ("revoke_keys", "reset_usage", "sync_with_gateway")
    change_form_template = "admin/api_keys/apikey/change_form.html"
    change_list_template = "admin/api_keys/apikey/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[APIKey]:
        return super().get_queryset(request).select_related("owner", "plan", "meter", "gateway")

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # A changelist URL filter on the hash (?hashed_key__startswith=...) would let a
        # staff user recover it one character at a time.
        if lookup.split("__")[0] == "hashed_key":
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_fields(self, request: HttpRequest, obj: APIKey | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("owner", "plan", "name", "expiry_date")
        return (
            "name",
            "prefix",
            "owner",
            "plan",
            "expiry_date",
            "status_label",
            "created",
            "last_used",
            "usage_this_period",
            *(GATEWAY_FIELDS if self.gateway_fieldsets() else ()),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: APIKey | None = None) -> list[str]:
        if obj is None:
            return []
        fixed = [
            "prefix",
            "owner",
            "status_label",
            "created",
            "last_used",
            "usage_this_period",
            *GATEWAY_FIELDS,
        ]
        # A revoked key is final: nothing about it changes any more.
        return [*fixed, "name", "plan", "expiry_date"] if obj.revoked else fixed

    @admin.display(description="status")
    def status_label(self, key: APIKey) -> str:
        return key.status

    @admin.display(description="last used", ordering="meter__last_used_at")
    def last_used(self, key: APIKey) -> str:
        return admin_date(key.last_used_at)

    @admin.display(description="usage this period")
    def usage_this_period(self, key: APIKey) -> str:
        usage = selectors.api_key_period_usage(key=key, now=conf.now())
        limit = "unlimited" if usage.limit is None else f"{usage.limit:,}"
        return f"{usage.used:,} / {limit} ({usage.period.lower()})"

    def save_model(
        self, request: HttpRequest, obj: APIKey, form: ModelForm[APIKey], change: bool
    ) -> None:
        if change:
            # Only the fields the form changed: a full save would write back the `revoked`
            # value loaded with the page, undoing a revocation made in the meantime.
            obj.save(update_fields=form.changed_data)
            hooks.push_key_on_commit(obj)
            return
        # Kept on this request only and rendered by response_add: never in a message,
        # session or cookie, never in a log.
        try:
            setattr(request, RAW_KEY_ATTR, services.api_key_save_new(key=obj))
        except services.KeyNotCreatedError as exc:
            setattr(request, KEY_ERROR_ATTR, str(exc))

    def log_addition(self, request: HttpRequest, obj: APIKey, message: Any) -> Any:
        # Nothing was added when API Gateway refused the key.
        return None if obj.pk is None else super().log_addition(request, obj, message)

    def delete_model(self, request: HttpRequest, obj: APIKey) -> None:
        super().delete_model(request, obj)
        self.after_delete()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> None:
        super().delete_queryset(request, queryset)
        self.after_delete()

    def push_to_gateway(self, obj: APIKey) -> bool:
        return keys.key_push(key=obj)

    def response_add(
        self, request: HttpRequest, obj: APIKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        error = getattr(request, KEY_ERROR_ATTR, None)
        if error is not None:
            self.message_user(request, f"No key was made. {error}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        raw_key = getattr(request, RAW_KEY_ATTR, None)
        if raw_key is None or "_popup" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "key": obj,
            "raw_key": raw_key,
            "title": "Copy the new API key now",
        }
        response = TemplateResponse(request, "admin/api_keys/apikey/key_created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        key = self.get_object(request, object_id)
        extra: dict[str, Any] = dict(extra_context or {})
        if key is not None:
            days, extra["usage_source"] = key_usage_days(key, conf.now().date())
            extra["usage_days"] = days
            extra["usage_chart"] = daily_usage_svg(days, chart_id=f"usage-{key.pk}")
        return super().change_view(request, object_id, form_url, extra)

    @admin.action(description="Revoke selected API keys (final)", permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> HttpResponse | None:
        if request.POST.get("confirmed") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "keys": list(queryset.filter(revoked=False)),
                "action": "revoke_keys",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "title": "Revoke API keys",
            }
            return TemplateResponse(
                request, "admin/api_keys/apikey/revoke_confirmation.html", context
            )
        revoked = 0
        for key in queryset:
            if services.api_key_revoke(key=key):
                self.log_change(request, key, "Revoked (final).")
                revoked += 1
        self.message_user(request, f"Revoked {revoked} API key(s). This cannot be undone.")
        return None

    @admin.action(description="Reset usage for this period", permissions=["change"])
    def reset_usage(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> None:
        now = conf.now()
        for key in queryset.select_related("plan"):
            forgotten = services.api_key_usage_reset(key=key, now=now)
            self.log_change(
                request, key, f"Reset usage for this period ({forgotten} requests forgotten)."
            )
        self.message_user(
            request, f"Usage reset for {queryset.count()} API key(s).", messages.SUCCESS
        )


register_user_admin(admin.site)
# The library registers its own (unused) APIKey model; ours above is the one in use.
if admin.site.is_registered(LibraryAPIKey):
    admin.site.unregister(LibraryAPIKey)
