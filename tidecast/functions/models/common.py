"""The base of every answer model and the small shapes several functions share."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    """An answer's `data`: exactly the declared fields, nothing else."""

    model_config = ConfigDict(extra="forbid")


#: An ISO 8601 UTC time as the API writes it ("2025-01-31T12:00:00.000Z").
Timestamp = str
#: A token amount: a decimal string in whole tokens ("0.001"), never a float (money).
Amount = str


class Notice(Out):
    message: str = Field(description="What happens next, for people")


class TokenInfo(Out):
    address: str
    symbol: str
    decimals: int
