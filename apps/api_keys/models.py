"""Usage plans, API keys (prefix + hashed secret), and the per-key usage meter and history."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from apps.api_keys import conf

# How far `offset` may move a period's start, in days (see Period). 27 keeps a monthly
# start day (offset + 1) inside February.
MAX_OFFSET = {"DAY": 0, "WEEK": 6, "MONTH": 27}
MIN_RATE = Decimal("0.001")
MAX_RATE = Decimal("999999.999")  # what the column (9 digits, 3 decimals) holds
MAX_BURST = 1_000_000


class Period(models.TextChoices):
    """Quota periods, as in API Gateway's QuotaSettings; boundaries are UTC midnights.

    `offset` moves the start: DAY has none; WEEK starts on weekday `offset` (0 = Sunday,
    1 = Monday, ... 6 = Saturday); MONTH starts on day `offset + 1` of the month. That is
    the older SDK meaning of `offset` ("the day that a time period starts"); AWS's current
    reference describes it as requests subtracted from the first period's limit instead:
    https://docs.aws.amazon.com/apigateway/latest/api/API_QuotaSettings.html
    """

    DAY = "DAY", "Day"
    WEEK = "WEEK", "Week"
    MONTH = "MONTH", "Month"


class UsagePlan(models.Model):
    """A throttle (token bucket: `rate`/s refill, `burst` size) and a quota per period."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    rate = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        validators=[MinValueValidator(MIN_RATE), MaxValueValidator(MAX_RATE)],
        help_text="Steady-state requests per second per key (the bucket's refill rate); > 0.",
    )
    burst = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_BURST)],
        help_text="Most requests a key may make at once (the bucket's size); at least 1.",
    )
    limit = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text="Requests per key per period; empty means unlimited, 0 blocks every request.",
    )
    period = models.CharField(max_length=5, choices=Period.choices, default=Period.DAY)
    offset = models.PositiveSmallIntegerField(
        default=0,
        help_text="DAY: 0. WEEK: the weekday the week starts, 0 = Sunday ... 6 = Saturday. "
        "MONTH: days after the 1st the month starts, 0 to 27. Boundaries are UTC midnights.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate__gt=0, rate__lte=MAX_RATE), name="api_keys_plan_rate_range"
            ),
            models.CheckConstraint(
                condition=models.Q(burst__gte=1, burst__lte=MAX_BURST),
                name="api_keys_plan_burst_range",
            ),
            models.CheckConstraint(
                condition=models.Q(limit__isnull=True) | models.Q(limit__gte=0),
                name="api_keys_plan_limit_gte_0",
            ),
            models.CheckConstraint(
                condition=models.Q(period__in=Period.values), name="api_keys_plan_period_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(period=Period.DAY, offset=0)
                | models.Q(period=Period.WEEK, offset__lte=MAX_OFFSET["WEEK"])
                | models.Q(period=Period.MONTH, offset__lte=MAX_OFFSET["MONTH"]),
                name="api_keys_plan_offset_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        maximum = MAX_OFFSET.get(self.period)
        if maximum is not None and self.offset is not None and self.offset > maximum:
            raise ValidationError(
                {"offset": f"For a {self.period} period the offset must be 0 to {maximum}."}
            )


class APIKeyManager(BaseAPIKeyManager):
    """The library's manager, keeping the integer primary key (see APIKey.id)."""

    def assign_key(self, obj: AbstractAPIKey) -> str:
        key, prefix, hashed_key = self.key_generator.generate()
        obj.prefix = prefix
        obj.hashed_key = hashed_key
        return key


class APIKey(AbstractAPIKey):
    """A client's key: `prefix.secret`; only the prefix and a SHA-512 of the key are stored.

    Revocation is final (the library's `save()` refuses to un-revoke).
    """

    # The library's primary key is "<prefix>.<hash>", which would put the hash in every
    # admin URL and foreign key; an integer key keeps the hash out of sight.
    id = models.BigAutoField(primary_key=True)  # type: ignore[assignment]
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    plan = models.ForeignKey(UsagePlan, on_delete=models.PROTECT, related_name="api_keys")

    objects = APIKeyManager()  # type: ignore[assignment,misc]

    class Meta(AbstractAPIKey.Meta):
        abstract = False
        indexes = [models.Index(fields=["owner", "-created"], name="api_keys_owner_created_idx")]

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        with transaction.atomic():
            super().save(*args, **kwargs)
            if adding:
                # Every key has its meter row from the start, so metering is one UPDATE.
                KeyMeter.objects.create(key=self)

    def refusal_reason(self, now: datetime.datetime) -> str | None:
        """Why a request with this key must be refused (for logs only), or None.

        Reads the owner: load it with the key (`select_related`).
        """
        if self.revoked:
            return "revoked"
        if self.expiry_date is not None and self.expiry_date <= now:
            return "expired"
        if not self.owner.is_active:
            return "owner inactive"
        return None

    @property
    def status(self) -> str:
        """`revoked`, `expired` or `active`."""
        if self.revoked:
            return "revoked"
        # The injectable clock and the comparison authentication uses.
        if self.expiry_date is not None and self.expiry_date <= conf.now():
            return "expired"
        return "active"

    @property
    def last_used_at(self) -> datetime.datetime | None:
        """When a request with this key was last admitted (kept on the meter row)."""
        meter = getattr(self, "meter", None)
        return meter.last_used_at if meter is not None else None


class MeterFields(models.Model):
    """A metered party's usage state in one row, so one conditional UPDATE admits a request.

    Written only by apps.api_keys.counters (raw SQL) and the reset services.
    """

    # Quota: requests admitted since `period_start` (the UTC start of the plan's period).
    period_start = models.DateTimeField(null=True, blank=True)
    period_count = models.BigIntegerField(default=0)
    # Token bucket (when it is not kept in Redis): level and time of the last refill, in
    # seconds since the epoch. A new meter's bucket fills to `burst` on its first request.
    tokens = models.FloatField(default=0.0)
    bucket_at = models.FloatField(default=0.0)
    # Daily history: today's count; the previous day's count moves to the daily table once,
    # on the first request of a new day.
    day = models.DateField(null=True, blank=True)
    day_count = models.BigIntegerField(default=0)
    prev_day = models.DateField(null=True, blank=True)
    prev_day_count = models.BigIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    # The model of past days' counts and the name of its foreign key to the owner.
    daily_model: type[models.Model]
    daily_owner_field: str
    # Names this meter's Redis bucket, unique across meter kinds.
    bucket_kind: str

    class Meta:
        abstract = True


class KeyMeter(MeterFields):
    """A key's usage state (see MeterFields)."""

    key = models.OneToOneField(
        APIKey, on_delete=models.CASCADE, primary_key=True, related_name="meter"
    )

    bucket_kind = "key"
    daily_owner_field = "key"

    def __str__(self) -> str:
        return f"Meter of key {self.key_id}"


class DailyUsage(models.Model):
    """Requests admitted for a key on one past UTC day (the current day is on the meter)."""

    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="daily_usage")
    date = models.DateField()
    count = models.BigIntegerField()

    class Meta:
        ordering = ("key", "date")
        constraints = [
            models.UniqueConstraint(fields=["key", "date"], name="api_keys_daily_key_date_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.key_id} {self.date}: {self.count}"


class DailyRefusals(models.Model):
    """Requests refused for a key on one UTC day: by its throttle, and by its used-up quota.

    Written by apps.api_keys.refusals (counts a process held, one upsert per key and day);
    read by the admin's usage overview.
    """

    key = models.ForeignKey(APIKey, on_delete=models.CASCADE, related_name="daily_refusals")
    date = models.DateField()
    throttled = models.BigIntegerField(default=0)
    quota_refused = models.BigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily refusals"
        ordering = ("key", "date")
        constraints = [
            models.UniqueConstraint(fields=["key", "date"], name="api_keys_refusals_key_date_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.key_id} {self.date}: {self.throttled} throttled, {self.quota_refused} quota"


class UserMeter(MeterFields):
    """A token user's usage state and plan: a JWT user is metered like a key.

    Made on the user's first token request; staff may make one first to assign a plan.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="usage_meter",
    )
    plan = models.ForeignKey(
        UsagePlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="user_meters",
        help_text="Empty: the default plan (API_KEYS['DEFAULT_USER_PLAN']).",
    )

    bucket_kind = "user"
    daily_owner_field = "user"

    class Meta:
        verbose_name = "token user's usage"
        verbose_name_plural = "token users' usage"

    def __str__(self) -> str:
        return f"Usage of user {self.user_id}"


class UserDailyUsage(models.Model):
    """Requests admitted for a token user on one past UTC day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_usage"
    )
    date = models.DateField()
    count = models.BigIntegerField()

    class Meta:
        ordering = ("user", "date")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "date"], name="api_keys_user_daily_user_date_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date}: {self.count}"


class UserDailyRefusals(models.Model):
    """Requests refused for a token user on one UTC day (see DailyRefusals)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="daily_refusals"
    )
    date = models.DateField()
    throttled = models.BigIntegerField(default=0)
    quota_refused = models.BigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "token users' daily refusals"
        ordering = ("user", "date")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "date"], name="api_keys_user_refusals_user_date_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date}: {self.throttled} throttled, {self.quota_refused} quota"


KeyMeter.daily_model = DailyUsage
UserMeter.daily_model = UserDailyUsage


# Registered with this app: the REST API front door's sync records.
from apps.api_keys.gateway.models import GatewayAPIKey, GatewayUsagePlan  # noqa: E402,F401
