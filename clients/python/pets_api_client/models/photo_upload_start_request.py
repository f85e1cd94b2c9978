from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.photo_content_type_enum import (
    PhotoContentTypeEnum,
    check_photo_content_type_enum,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="PhotoUploadStartRequest")


@_attrs_define
class PhotoUploadStartRequest:
    """What the client will upload; the server picks where it goes.

    Attributes:
        filename (str): The file's name, for display only.
        content_type (PhotoContentTypeEnum): * `image/jpeg` - image/jpeg
            * `image/png` - image/png
            * `image/webp` - image/webp
        size (int): Bytes; the upload may be smaller, never larger. Larger than PHOTOS_MAX_BYTES is refused.
        pet (int | None | Unset): The id of one of your pets.
        caption (str | Unset): Up to 500 characters. Default: ''.
    """

    filename: str
    content_type: PhotoContentTypeEnum
    size: int
    pet: int | None | Unset = UNSET
    caption: str | Unset = ""
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        filename = self.filename

        content_type: str = self.content_type

        size = self.size

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
                "filename": filename,
                "content_type": content_type,
                "size": size,
            }
        )
        if pet is not UNSET:
            field_dict["pet"] = pet
        if caption is not UNSET:
            field_dict["caption"] = caption

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        filename = d.pop("filename")

        content_type = check_photo_content_type_enum(d.pop("content_type"))

        size = d.pop("size")

        def _parse_pet(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        pet = _parse_pet(d.pop("pet", UNSET))

        caption = d.pop("caption", UNSET)

        photo_upload_start_request = cls(
            filename=filename,
            content_type=content_type,
            size=size,
            pet=pet,
            caption=caption,
        )

        photo_upload_start_request.additional_properties = d
        return photo_upload_start_request

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
