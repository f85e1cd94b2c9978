from typing import Literal

UploadMethodEnum = Literal["POST"]

UPLOAD_METHOD_ENUM_VALUES: set[UploadMethodEnum] = {
    "POST",
}


def check_upload_method_enum(value: str) -> UploadMethodEnum:
    if value in UPLOAD_METHOD_ENUM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {UPLOAD_METHOD_ENUM_VALUES!r}"
    )
