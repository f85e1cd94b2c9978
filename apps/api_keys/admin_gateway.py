"""Admin pieces for the REST API front door: sync state on plans and keys, sync actions."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from apps.api_keys import selectors
from apps.api_keys.gateway import client, hooks
from apps.api_keys.gateway.client import GatewayError
from apps.api_keys.gateway.models import GatewayRecord
from apps.api_keys.gateway.usage import gateway_daily_usage
from apps.api_keys.models import APIKey

GATEWAY_FIELDS = ("gateway_state", "gateway_id", "gateway_last_error", "gateway_synced_at")


def admin_date(value: datetime.datetime | None, empty: str = "never") -> str:
    """A date the way the admin shows its date fields ("Jan. 14, 2026, noon").

    The change form prints a readonly method's value with str() (a raw
    "2026-01-14 12:00:00+00:00"), unlike a model field's, which it localises.
    """
    return empty if value is None else str(display_for_value(value, empty))


def _record(obj: Model) -> GatewayRecord | None:
    return getattr(obj, "gateway", None) if obj.pk else None


class GatewaySyncAdminMixin:
    """Read-only sync state on the change form and list, and a "sync now" action."""

    @admin.display(description="API Gateway")
    def gateway_state(self, obj: Model) -> str:
        if not client.enabled():
            return "off"
        record = _record(obj)
        return record.get_state_display() if record else "not synced yet"

    @admin.display(description="API Gateway id")
    def gateway_id(self, obj: Model) -> str:
        record = _record(obj)
        return record.gateway_id if record and record.gateway_id else "-"

    @admin.display(description="last sync error")
    def gateway_last_error(self, obj: Model) -> Any:
        record = _record(obj)
        if not record or not record.last_error:
            return "-"
        return format_html('<span class="errornote">{}</span>', record.last_error)

    @admin.display(description="last synced")
    def gateway_synced_at(self, obj: Model) -> str:
        record = _record(obj)
        return admin_date(record.synced_at if record else None)

    def gateway_fieldsets(self) -> tuple[tuple[str, dict[str, Any]], ...]:
        if not client.enabled():
            return ()
        return (("API Gateway (REST front door)", {"fields": GATEWAY_FIELDS}),)

    @admin.action(description="Sync selected with API Gateway now")
    def sync_with_gateway(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        if not client.enabled():
            self.message_user(  # type: ignore[attr-defined]
                request,
                "The REST API sync is off (API_KEYS['GATEWAY_REST_API_ID']).",
                messages.ERROR,
            )
            return
        failed = [str(obj) for obj in queryset if not self.push_to_gateway(obj)]
        if failed:
            text = f"Not in sync: {', '.join(failed)}. The error is on each one's page."
            self.message_user(request, text, messages.ERROR)  # type: ignore[attr-defined]
        else:
            self.message_user(request, "In sync with API Gateway.", messages.SUCCESS)  # type: ignore[attr-defined]

    def push_to_gateway(self, obj: Any) -> bool:
        raise NotImplementedError

    def after_delete(self) -> None:
        hooks.delete_removed_on_commit()


def key_usage_days(
    key: APIKey, today: datetime.date
) -> tuple[list[tuple[datetime.date, int]], str]:
    """The key's chart data and where it came from: API Gateway's GetUsage in REST mode (for
    a key in sync), else this app's meters."""
    record = getattr(key, "gateway", None)
    if client.enabled() and record is not None:
        try:
            return gateway_daily_usage(record=record, today=today), "API Gateway (GetUsage)"
        except GatewayError as exc:
            source = f"this app's meters: API Gateway's usage is unavailable ({exc})"
            return selectors.api_key_daily_usage(key=key, today=today), source
    return selectors.api_key_daily_usage(key=key, today=today), "this app's meters"
