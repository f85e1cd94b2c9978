"""Admin: the open connections (read-only), and closing them."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from apps.realtime import selectors, services
from apps.realtime.models import Connection


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin[Connection]):
    list_display = (
        "connection_id",
        "owner",
        "key",
        "subscriptions",
        "connected_at",
        "last_seen_at",
    )
    list_select_related = ("owner", "key")
    search_fields = ("connection_id", "owner__username", "key__prefix")
    readonly_fields = [f.name for f in Connection._meta.fields]
    actions = ("close_connections",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Connection | None = None) -> bool:
        return False

    @admin.action(description="Close selected connections", permissions=["delete"])
    def close_connections(self, request: HttpRequest, queryset: object) -> None:
        closed = 0
        for connection in list(queryset):  # type: ignore[call-overload]
            services.connection_close(
                target=selectors.Target(connection.connection_id, connection.endpoint)
            )
            closed += 1
        self.message_user(request, f"Closed {closed} connection(s).")
