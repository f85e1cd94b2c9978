"""Token users metered like keys: their meter row, and the plan staff assigned (or the default).

apps.identity hands a token user to the throttle as a UserSubject; the counters, 429s,
X-RateLimit-* headers and GET /v1/usage then work exactly as for a key.
"""

from __future__ import annotations

from typing import Final

from django.db import IntegrityError, transaction

from apps.api_keys.models import UsagePlan, UserMeter
from apps.api_keys.selectors import default_user_plan
from apps.common.records import ValueRecord


class NoPlanError(Exception):
    """The user has no plan and the default plan does not exist."""


class UserSubject(ValueRecord):
    """What the counters meter for a token user (see counters.Metered)."""

    __slots__ = ("identity", "meter", "pk", "plan")
    _fields = ("pk", "plan", "meter", "identity")

    def __init__(
        self,
        pk: int,
        plan: UsagePlan,
        meter: UserMeter,
        identity: dict[str, str] | None = None,
    ) -> None:
        self.pk: Final = pk
        self.plan: Final = plan
        self.meter: Final = meter
        # Who the caller is, for GET /v1/usage: {"issuer": ..., "subject": ...}.
        self.identity: Final[dict[str, str]] = {} if identity is None else identity


def user_meter_get_or_create(*, user_id: int) -> UserMeter:
    """The user's meter with its plan (one query once it exists)."""
    meter = UserMeter.objects.select_related("plan").filter(pk=user_id).first()
    if meter is not None:
        return meter
    try:
        with transaction.atomic():
            return UserMeter.objects.create(user_id=user_id)
    except IntegrityError:  # made by a concurrent first request
        return UserMeter.objects.select_related("plan").get(pk=user_id)


def user_subject(*, user_id: int, identity: dict[str, str] | None = None) -> UserSubject:
    """The token user as the throttle meters them: their assigned plan, else the default."""
    meter = user_meter_get_or_create(user_id=user_id)
    plan = meter.plan or default_user_plan()
    if plan is None:
        raise NoPlanError("no plan assigned, and API_KEYS['DEFAULT_USER_PLAN'] names no plan")
    return UserSubject(pk=user_id, plan=plan, meter=meter, identity=identity or {})
