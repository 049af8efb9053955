"""Handlers that fail the two ways a Lambda runtime reports through its error route."""

from __future__ import annotations

from typing import Any


class Refused(Exception):
    pass


def raises(event: Any, context: Any) -> Any:
    raise Refused("refused on purpose")


def bad_shape(event: Any, context: Any) -> Any:
    """An answer that is not JSON: Lambda cannot send it back to API Gateway."""
    return {"statusCode": 200, "body": object()}
