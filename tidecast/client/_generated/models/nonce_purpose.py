from typing import Literal

NoncePurpose = Literal["link", "login"]

NONCE_PURPOSE_VALUES: set[NoncePurpose] = {
    "link",
    "login",
}


def check_nonce_purpose(value: str) -> NoncePurpose:
    if value in NONCE_PURPOSE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {NONCE_PURPOSE_VALUES!r}")
