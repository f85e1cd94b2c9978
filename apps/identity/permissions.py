"""DRF permission: a token user needs the view's scope; keys and staff sessions do not."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from apps.identity.authentication import TokenAuth
from apps.identity.scopes import ScopePair

MISSING = object()


class HasTokenScope(BasePermission):
    """Token requests need `view.token_scopes` (a ScopePair) or, with `None`, no scope.

    A view that says nothing is closed to tokens: a new view is never open by accident.
    A missing scope is 403 {"message": "Forbidden"}, as API Gateway answers it.
    """

    message = "Forbidden"

    def has_permission(self, request: Request, view: Any) -> bool:
        auth = request.auth
        if not isinstance(auth, TokenAuth):
            return True
        pair = getattr(view, "token_scopes", MISSING)
        if pair is None:
            return True
        if not isinstance(pair, ScopePair):
            return False
        needed = pair.read if request.method in SAFE_METHODS else pair.write
        return needed in auth.scopes
