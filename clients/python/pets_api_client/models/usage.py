from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.key_summary import KeySummary
    from ..models.plan_summary import PlanSummary
    from ..models.quota import Quota
    from ..models.throttle import Throttle
    from ..models.token_summary import TokenSummary


T = TypeVar("T", bound="Usage")


@_attrs_define
class Usage:
    """The calling key (or token user), its plan, throttle and quota.

    Attributes:
        key (KeySummary | None): null for a token user.
        token (None | TokenSummary): null for an API key.
        plan (PlanSummary):
        throttle (Throttle):
        quota (Quota):
    """

    key: KeySummary | None
    token: None | TokenSummary
    plan: PlanSummary
    throttle: Throttle
    quota: Quota
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.key_summary import KeySummary  # noqa: PLC0415
        from ..models.token_summary import TokenSummary  # noqa: PLC0415

        key: dict[str, Any] | None
        if isinstance(self.key, KeySummary):
            key = self.key.to_dict()
        else:
            key = self.key

        token: dict[str, Any] | None
        if isinstance(self.token, TokenSummary):
            token = self.token.to_dict()
        else:
            token = self.token

        plan = self.plan.to_dict()

        throttle = self.throttle.to_dict()

        quota = self.quota.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "token": token,
                "plan": plan,
                "throttle": throttle,
                "quota": quota,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.key_summary import KeySummary  # noqa: PLC0415
        from ..models.plan_summary import PlanSummary  # noqa: PLC0415
        from ..models.quota import Quota  # noqa: PLC0415
        from ..models.throttle import Throttle  # noqa: PLC0415
        from ..models.token_summary import TokenSummary  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_key(data: object) -> KeySummary | None:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                key_type_1 = KeySummary.from_dict(data)

                return key_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(KeySummary | None, data)

        key = _parse_key(d.pop("key"))

        def _parse_token(data: object) -> None | TokenSummary:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                token_type_1 = TokenSummary.from_dict(data)

                return token_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TokenSummary, data)

        token = _parse_token(d.pop("token"))

        plan = PlanSummary.from_dict(d.pop("plan"))

        throttle = Throttle.from_dict(d.pop("throttle"))

        quota = Quota.from_dict(d.pop("quota"))

        usage = cls(
            key=key,
            token=token,
            plan=plan,
            throttle=throttle,
            quota=quota,
        )

        usage.additional_properties = d
        return usage

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
