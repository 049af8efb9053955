from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.nonce_purpose import NoncePurpose, check_nonce_purpose
from ..types import UNSET, Unset

T = TypeVar("T", bound="Nonce")


@_attrs_define
class Nonce:
    """The fields of a Sign-In with Ethereum message (EIP-4361) to sign.

    Attributes:
        nonce (str):
        purpose (NoncePurpose):
        domain (str):
        uri (str):
        chain_id (int):
        version (str):
        statement (str):
        issued_at (str):
        expires_at (str):
        message (None | str | Unset): The whole message, when an address was given
    """

    nonce: str
    purpose: NoncePurpose
    domain: str
    uri: str
    chain_id: int
    version: str
    statement: str
    issued_at: str
    expires_at: str
    message: str | Unset | None = UNSET

    def to_dict(self) -> dict[str, Any]:
        nonce = self.nonce

        purpose: str = self.purpose

        domain = self.domain

        uri = self.uri

        chain_id = self.chain_id

        version = self.version

        statement = self.statement

        issued_at = self.issued_at

        expires_at = self.expires_at

        message: str | Unset | None
        if isinstance(self.message, Unset):
            message = UNSET
        else:
            message = self.message

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "nonce": nonce,
                "purpose": purpose,
                "domain": domain,
                "uri": uri,
                "chainId": chain_id,
                "version": version,
                "statement": statement,
                "issuedAt": issued_at,
                "expiresAt": expires_at,
            }
        )
        if message is not UNSET:
            field_dict["message"] = message

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        nonce = d.pop("nonce")

        purpose = check_nonce_purpose(d.pop("purpose"))

        domain = d.pop("domain")

        uri = d.pop("uri")

        chain_id = d.pop("chainId")

        version = d.pop("version")

        statement = d.pop("statement")

        issued_at = d.pop("issuedAt")

        expires_at = d.pop("expiresAt")

        def _parse_message(data: object) -> str | Unset | None:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(str | Unset | None, data)

        message = _parse_message(d.pop("message", UNSET))

        nonce = cls(
            nonce=nonce,
            purpose=purpose,
            domain=domain,
            uri=uri,
            chain_id=chain_id,
            version=version,
            statement=statement,
            issued_at=issued_at,
            expires_at=expires_at,
            message=message,
        )

        return nonce
