from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast
from uuid import UUID

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.photo_status_enum import PhotoStatusEnum, check_photo_status_enum

T = TypeVar("T", bound="Photo")


@_attrs_define
class Photo:
    """A photo as its owner sees it. URLs are short-lived and null until the photo is ready.

    Attributes:
        id (UUID):
        pet (int | None):
        caption (str):
        status (PhotoStatusEnum): * `pending_upload` - Waiting for the upload
            * `processing` - Processing
            * `ready` - Ready
            * `failed` - Failed
        failure_reason (str):
        filename (str):
        content_type (str):
        size (int | None):
        width (int | None):
        height (int | None):
        checksum (str): SHA-256, hex.
        url (None | str): The display size (at most 1280 px).
        thumbnail_url (None | str): The thumbnail (at most 256 px).
        original_url (None | str): The original bytes, as uploaded.
        version (int):
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        processed_at (datetime.datetime | None):
    """

    id: UUID
    pet: int | None
    caption: str
    status: PhotoStatusEnum
    failure_reason: str
    filename: str
    content_type: str
    size: int | None
    width: int | None
    height: int | None
    checksum: str
    url: None | str
    thumbnail_url: None | str
    original_url: None | str
    version: int
    created_at: datetime.datetime
    updated_at: datetime.datetime
    processed_at: datetime.datetime | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = str(self.id)

        pet: int | None
        pet = self.pet

        caption = self.caption

        status: str = self.status

        failure_reason = self.failure_reason

        filename = self.filename

        content_type = self.content_type

        size: int | None
        size = self.size

        width: int | None
        width = self.width

        height: int | None
        height = self.height

        checksum = self.checksum

        url: None | str
        url = self.url

        thumbnail_url: None | str
        thumbnail_url = self.thumbnail_url

        original_url: None | str
        original_url = self.original_url

        version = self.version

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        processed_at: None | str
        if isinstance(self.processed_at, datetime.datetime):
            processed_at = self.processed_at.isoformat()
        else:
            processed_at = self.processed_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "pet": pet,
                "caption": caption,
                "status": status,
                "failure_reason": failure_reason,
                "filename": filename,
                "content_type": content_type,
                "size": size,
                "width": width,
                "height": height,
                "checksum": checksum,
                "url": url,
                "thumbnail_url": thumbnail_url,
                "original_url": original_url,
                "version": version,
                "created_at": created_at,
                "updated_at": updated_at,
                "processed_at": processed_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        id = UUID(d.pop("id"))

        def _parse_pet(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        pet = _parse_pet(d.pop("pet"))

        caption = d.pop("caption")

        status = check_photo_status_enum(d.pop("status"))

        failure_reason = d.pop("failure_reason")

        filename = d.pop("filename")

        content_type = d.pop("content_type")

        def _parse_size(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        size = _parse_size(d.pop("size"))

        def _parse_width(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        width = _parse_width(d.pop("width"))

        def _parse_height(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        height = _parse_height(d.pop("height"))

        checksum = d.pop("checksum")

        def _parse_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        url = _parse_url(d.pop("url"))

        def _parse_thumbnail_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        thumbnail_url = _parse_thumbnail_url(d.pop("thumbnail_url"))

        def _parse_original_url(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        original_url = _parse_original_url(d.pop("original_url"))

        version = d.pop("version")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        def _parse_processed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                processed_at_type_0 = datetime.datetime.fromisoformat(data)

                return processed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        processed_at = _parse_processed_at(d.pop("processed_at"))

        photo = cls(
            id=id,
            pet=pet,
            caption=caption,
            status=status,
            failure_reason=failure_reason,
            filename=filename,
            content_type=content_type,
            size=size,
            width=width,
            height=height,
            checksum=checksum,
            url=url,
            thumbnail_url=thumbnail_url,
            original_url=original_url,
            version=version,
            created_at=created_at,
            updated_at=updated_at,
            processed_at=processed_at,
        )

        photo.additional_properties = d
        return photo

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
