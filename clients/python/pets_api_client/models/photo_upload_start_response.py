from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.photo import Photo
    from ..models.presigned_upload import PresignedUpload


T = TypeVar("T", bound="PhotoUploadStartResponse")


@_attrs_define
class PhotoUploadStartResponse:
    """
    Attributes:
        photo (Photo): A photo as its owner sees it. URLs are short-lived and null until the photo is ready.
        upload (PresignedUpload): A multipart/form-data POST: send every field, then `file` last.
    """

    photo: Photo
    upload: PresignedUpload
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        photo = self.photo.to_dict()

        upload = self.upload.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "photo": photo,
                "upload": upload,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.photo import Photo  # noqa: PLC0415
        from ..models.presigned_upload import PresignedUpload  # noqa: PLC0415

        d = dict(src_dict)
        photo = Photo.from_dict(d.pop("photo"))

        upload = PresignedUpload.from_dict(d.pop("upload"))

        photo_upload_start_response = cls(
            photo=photo,
            upload=upload,
        )

        photo_upload_start_response.additional_properties = d
        return photo_upload_start_response

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
