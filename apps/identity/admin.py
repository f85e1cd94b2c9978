"""Admin: who each token identity is here (read-only links to the users they sign in)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.identity.models import IdentityLink


@admin.register(IdentityLink)
class IdentityLinkAdmin(admin.ModelAdmin[IdentityLink]):
    list_display = ("subject", "issuer", "user", "email", "created_at")
    list_filter = ("issuer",)
    list_select_related = ("user",)
    search_fields = ("subject", "issuer", "email", "user__username", "user__email")
    readonly_fields = ("issuer", "subject", "email", "created_at")
    autocomplete_fields = ("user",)
    fields = ("issuer", "subject", "user", "email", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Links are made by the first request with a token; moving one to another user
        # (a merge) stays possible.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting a link makes the next request with that token create a fresh user.
        return bool(request.user.is_superuser)
