from typing import Literal

NonceBodyPurpose = Literal["link", "login"]

NONCE_BODY_PURPOSE_VALUES: set[NonceBodyPurpose] = {
    "link",
    "login",
}


def check_nonce_body_purpose(value: str) -> NonceBodyPurpose:
    if value in NONCE_BODY_PURPOSE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of {NONCE_BODY_PURPOSE_VALUES!r}")
