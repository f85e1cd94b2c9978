from typing import Literal

PhotoContentTypeEnum = Literal["image/jpeg", "image/png", "image/webp"]

PHOTO_CONTENT_TYPE_ENUM_VALUES: set[PhotoContentTypeEnum] = {
    "image/jpeg",
    "image/png",
    "image/webp",
}


def check_photo_content_type_enum(value: str) -> PhotoContentTypeEnum:
    if value in PHOTO_CONTENT_TYPE_ENUM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {PHOTO_CONTENT_TYPE_ENUM_VALUES!r}"
    )
