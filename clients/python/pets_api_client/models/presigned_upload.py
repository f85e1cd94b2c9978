from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.upload_method_enum import UploadMethodEnum, check_upload_method_enum

if TYPE_CHECKING:
    from ..models.presigned_upload_fields import PresignedUploadFields


T = TypeVar("T", bound="PresignedUpload")


@_attrs_define
class PresignedUpload:
    """A multipart/form-data POST: send every field, then `file` last.

    Attributes:
        url (str): Where to POST the form.
        method (UploadMethodEnum): * `POST` - POST
        fields (PresignedUploadFields): Form fields to send unchanged, before `file`.
        expires_at (datetime.datetime): The form is refused after this time.
    """

    url: str
    method: UploadMethodEnum
    fields: PresignedUploadFields
    expires_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        method: str = self.method

        fields = self.fields.to_dict()

        expires_at = self.expires_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "url": url,
                "method": method,
                "fields": fields,
                "expires_at": expires_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.presigned_upload_fields import PresignedUploadFields  # noqa: PLC0415

        d = dict(src_dict)
        url = d.pop("url")

        method = check_upload_method_enum(d.pop("method"))

        fields = PresignedUploadFields.from_dict(d.pop("fields"))

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        presigned_upload = cls(
            url=url,
            method=method,
            fields=fields,
            expires_at=expires_at,
        )

        presigned_upload.additional_properties = d
        return presigned_upload

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
