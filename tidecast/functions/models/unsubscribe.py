"""What /api/unsubscribe answers."""

from __future__ import annotations

from typing import Literal

from tidecast.functions.models.common import Out


class Unsubscribed(Out):
    address: str
    unsubscribed: Literal[True]
    alreadyUnsubscribed: bool
