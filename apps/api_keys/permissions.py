"""DRF permissions for views that only make sense for a request made with an API key."""

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
