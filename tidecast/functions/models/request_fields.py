"""Field types that more than one request model takes, with the rules the services apply."""

from __future__ import annotations

from typing import Annotated, Any, cast

from pydantic import BeforeValidator, Field, GetCoreSchemaHandler, GetPydanticSchema
from pydantic_core import CoreSchema


def _whole_float(value: Any) -> Any:
    """JSON Schema counts 5.0 as an integer (and JSON has one number type): take it as 5.
    Strict models refused it, so a schema-valid body was a 400."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _one_error(kind: str, message: str) -> GetPydanticSchema:
    """A choice of types that answers as one field: pydantic reports a failed union once per
    member, each labelled with its inner schema (`paymentStreamId.function-before[_whole_float(),
    constrained-int]: …; paymentStreamId.constrained-str: …`); this says `message` once. The
    JSON Schema is unchanged."""

    def schema(source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return cast(
            CoreSchema, {**handler(source), "custom_error_type": kind, "custom_error_message": message}
        )

    return GetPydanticSchema(schema)


#: A payment stream id: a positive integer (a uint256 on chain), as a JSON number or a decimal string.
POSITIVE_ID_PATTERN = "^[1-9][0-9]{0,77}$"
PositiveId = Annotated[
    Annotated[int, Field(ge=1, lt=2**256), BeforeValidator(_whole_float)]
    | Annotated[str, Field(pattern=POSITIVE_ID_PATTERN)],
    _one_error(
        "positive_id", "must be a whole number from 1 to 2**256 - 1, as a JSON number or a decimal string"
    ),
]
#: A Unix time in seconds.
UnixTime = Annotated[int, Field(ge=1), BeforeValidator(_whole_float)]
#: An EIP-2 signature: 65 bytes as 0x and 130 hex digits.
SIGNATURE_PATTERN = "^0x[0-9a-fA-F]{130}$"
