"""The User admin, re-registered with each user's API keys inline (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from apps.api_keys.models import APIKey


class APIKeyInline(admin.TabularInline[APIKey, Any]):
    model = APIKey
    fk_name = "owner"
    fields = ("name", "prefix", "plan", "status", "created", "expiry_date", "last_used_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = "API key"
    verbose_name_plural = (
        "API keys (add them on the API keys page: the raw key is shown there once)"
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("plan", "meter")


class UserWithKeysAdmin(UserAdmin):  # type: ignore[type-arg]
    inlines = (*UserAdmin.inlines, APIKeyInline)


def register_user_admin(site: admin.AdminSite) -> None:
    """Replace the User admin registered by django.contrib.auth with UserWithKeysAdmin."""
    user_model = get_user_model()
    if site.is_registered(user_model):
        site.unregister(user_model)
    site.register(user_model, UserWithKeysAdmin)
