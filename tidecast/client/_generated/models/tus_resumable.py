from typing import Literal

TusResumable = Literal["1.0.0"]

TUS_RESUMABLE_VALUES: set[TusResumable] = {
    "1.0.0",
}


def check_tus_resumable(value: str) -> TusResumable:
    if value in TUS_RESUMABLE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {TUS_RESUMABLE_VALUES!r}")
