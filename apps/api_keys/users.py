"""Token users metered like keys: their meter row, and the plan staff assigned (or the default).

apps.identity hands a token user to the throttle as a UserSubject; the counters, 429s,
X-RateLimit-* headers and GET /v1/usage then work exactly as for a key.
"""

from __future__ import annotations

from typing import Any, Final

from django.db import IntegrityError, transaction

from apps.api_keys.models import UsagePlan, UserMeter
from apps.api_keys.selectors import default_user_plan


class NoPlanError(Exception):
    """The user has no plan and the default plan does not exist."""


class UserSubject:
    """What the counters meter for a token user (see counters.Metered)."""

    # Written out rather than a frozen dataclass (the same equality and repr): a dataclass
    # compiles its methods when the module is imported, at every Lambda cold start.
    __slots__ = ("identity", "meter", "pk", "plan")

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

    def _values(self) -> tuple[Any, ...]:
        return (self.pk, self.plan, self.meter, self.identity)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, UserSubject) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    # Like the frozen dataclass's (which raised too: `identity` is a dict).
    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return (
            f"UserSubject(pk={self.pk!r}, plan={self.plan!r}, meter={self.meter!r}, "
            f"identity={self.identity!r})"
        )


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
