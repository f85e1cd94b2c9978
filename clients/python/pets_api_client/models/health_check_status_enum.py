from typing import Literal

HealthCheckStatusEnum = Literal["fail", "ok", "skipped"]

HEALTH_CHECK_STATUS_ENUM_VALUES: set[HealthCheckStatusEnum] = {
    "fail",
    "ok",
    "skipped",
}


def check_health_check_status_enum(value: str) -> HealthCheckStatusEnum:
    if value in HEALTH_CHECK_STATUS_ENUM_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {HEALTH_CHECK_STATUS_ENUM_VALUES!r}"
    )
