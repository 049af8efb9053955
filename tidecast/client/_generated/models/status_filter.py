from typing import Literal

StatusFilter = Literal["failed", "processing", "ready"]

STATUS_FILTER_VALUES: set[StatusFilter] = {
    "failed",
    "processing",
    "ready",
}


def check_status_filter(value: str) -> StatusFilter:
    if value in STATUS_FILTER_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {STATUS_FILTER_VALUES!r}")
