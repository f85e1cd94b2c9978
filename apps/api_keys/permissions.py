"""DRF permissions for views that only make sense for a metered request (key or token)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.api_keys.models import APIKey


class HasAPIKey(BasePermission):
    """Only requests authenticated by an API key (a staff session is not enough)."""

    message = "Forbidden"

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, APIKey)


class IsMetered(BasePermission):
    """Requests metered by a usage plan: an API key's, or a token user's."""

    message = "Forbidden"

    def has_permission(self, request: Request, view: Any) -> bool:
        return metered_kind(request.auth) is not None


def metered_kind(auth: Any) -> str | None:
    if isinstance(auth, APIKey):
        return "key"
    return "token" if callable(getattr(auth, "usage_subject", None)) else None
