from typing import Literal

GetHealthDeep = Literal["0", "1", "false", "true"]

GET_HEALTH_DEEP_VALUES: set[GetHealthDeep] = {
    "0",
    "1",
    "false",
    "true",
}


def check_get_health_deep(value: str) -> GetHealthDeep:
    if value in GET_HEALTH_DEEP_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {GET_HEALTH_DEEP_VALUES!r}"
    )
