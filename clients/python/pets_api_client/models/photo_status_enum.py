from typing import Literal

PhotoStatusEnum = Literal["failed", "pending_upload", "processing", "ready"]

PHOTO_STATUS_ENUM_VALUES: set[PhotoStatusEnum] = {
    "failed",
    "pending_upload",
    "processing",
    "ready",
}


def check_photo_status_enum(value: str) -> PhotoStatusEnum:
    if value in PHOTO_STATUS_ENUM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {PHOTO_STATUS_ENUM_VALUES!r}"
    )
