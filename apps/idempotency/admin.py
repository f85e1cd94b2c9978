"""Django admin for Idempotency-Key records: read-only, for looking into a client's retries."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from apps.idempotency.models import IdempotencyRecord


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin[IdempotencyRecord]):
    list_display = ("key", "owner", "status", "locked_until", "created_at", "expires_at")
    list_filter = ("status",)
    search_fields = ("key", "owner__username")
    list_select_related = ("owner",)
    ordering = ("-created_at",)
    exclude = ("body", "token")
    readonly_fields = ("owner", "key", "fingerprint", "status", "headers", "locked_until")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
