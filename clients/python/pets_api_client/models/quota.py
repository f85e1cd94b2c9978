from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.period_enum import PeriodEnum, check_period_enum

T = TypeVar("T", bound="Quota")


@_attrs_define
class Quota:
    """
    Attributes:
        limit (int | None): Requests per period; null: unlimited.
        used (int): Admitted this period, this one too.
        remaining (int | None): null when unlimited.
        period (PeriodEnum): * `DAY` - Day
            * `WEEK` - Week
            * `MONTH` - Month
        offset (int): WEEK: first weekday (0 = Sunday); MONTH: first day - 1.
        period_start (datetime.datetime): UTC start of the current period.
        resets_at (datetime.datetime): UTC start of the next period (ISO 8601).
    """

    limit: int | None
    used: int
    remaining: int | None
    period: PeriodEnum
    offset: int
    period_start: datetime.datetime
    resets_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        limit: int | None
        limit = self.limit

        used = self.used

        remaining: int | None
        remaining = self.remaining

        period: str = self.period

        offset = self.offset

        period_start = self.period_start.isoformat()

        resets_at = self.resets_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "limit": limit,
                "used": used,
                "remaining": remaining,
                "period": period,
                "offset": offset,
                "period_start": period_start,
                "resets_at": resets_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_limit(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        limit = _parse_limit(d.pop("limit"))

        used = d.pop("used")

        def _parse_remaining(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        remaining = _parse_remaining(d.pop("remaining"))

        period = check_period_enum(d.pop("period"))

        offset = d.pop("offset")

        period_start = datetime.datetime.fromisoformat(d.pop("period_start"))

        resets_at = datetime.datetime.fromisoformat(d.pop("resets_at"))

        quota = cls(
            limit=limit,
            used=used,
            remaining=remaining,
            period=period,
            offset=offset,
            period_start=period_start,
            resets_at=resets_at,
        )

        quota.additional_properties = d
        return quota

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
