from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..types import File

T = TypeVar("T", bound="LocalUploadRequest")


@_attrs_define
class LocalUploadRequest:
    """The presigned form, posted to the local endpoint the way S3 would receive it.

    Attributes:
        key (str): From `upload.fields`.
        policy (str): From `upload.fields`.
        file (File): The image; send it last.
        content_type (str): From `upload.fields`.
    """

    key: str
    policy: str
    file: File
    content_type: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        key = self.key

        policy = self.policy

        file = self.file.to_tuple()

        content_type = self.content_type

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key": key,
                "policy": policy,
                "file": file,
                "Content-Type": content_type,
            }
        )

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("key", (None, str(self.key).encode(), "text/plain")))

        files.append(("policy", (None, str(self.policy).encode(), "text/plain")))

        files.append(("file", self.file.to_tuple()))

        files.append(
            ("Content-Type", (None, str(self.content_type).encode(), "text/plain"))
        )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        key = d.pop("key")

        policy = d.pop("policy")

        file = File(payload=BytesIO(d.pop("file")))

        content_type = d.pop("Content-Type")

        local_upload_request = cls(
            key=key,
            policy=policy,
            file=file,
            content_type=content_type,
        )

        local_upload_request.additional_properties = d
        return local_upload_request

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
