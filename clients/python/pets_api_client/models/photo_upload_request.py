from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..types import UNSET, File, Unset

T = TypeVar("T", bound="PhotoUploadRequest")


@_attrs_define
class PhotoUploadRequest:
    """A direct upload: the file, and optionally the pet it shows and a caption.

    Attributes:
        file (File): A JPEG, PNG or WebP image; what it is gets checked, not the name or type.
        pet (int | None | Unset): The id of one of your pets.
        caption (str | Unset): Up to 500 characters. Default: ''.
    """

    file: File
    pet: int | None | Unset = UNSET
    caption: str | Unset = ""
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        file = self.file.to_tuple()

        pet: int | None | Unset
        if isinstance(self.pet, Unset):
            pet = UNSET
        else:
            pet = self.pet

        caption = self.caption

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "file": file,
            }
        )
        if pet is not UNSET:
            field_dict["pet"] = pet
        if caption is not UNSET:
            field_dict["caption"] = caption

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("file", self.file.to_tuple()))

        if not isinstance(self.pet, Unset):
            if isinstance(self.pet, int):
                files.append(("pet", (None, str(self.pet).encode(), "text/plain")))
            else:
                files.append(("pet", (None, str(self.pet).encode(), "text/plain")))

        if not isinstance(self.caption, Unset):
            files.append(("caption", (None, str(self.caption).encode(), "text/plain")))

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        file = File(payload=BytesIO(d.pop("file")))

        def _parse_pet(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        pet = _parse_pet(d.pop("pet", UNSET))

        caption = d.pop("caption", UNSET)

        photo_upload_request = cls(
            file=file,
            pet=pet,
            caption=caption,
        )

        photo_upload_request.additional_properties = d
        return photo_upload_request

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
