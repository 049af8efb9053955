"""Field types that more than one request model takes, with the rules the services apply."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

#: A payment stream id: a positive integer (a uint256 on chain), as a JSON number or a decimal string.
POSITIVE_ID_PATTERN = "^[1-9][0-9]{0,77}$"
PositiveId = Annotated[int, Field(ge=1, lt=2**256)] | Annotated[str, Field(pattern=POSITIVE_ID_PATTERN)]
