"""Token amounts: integers of the token's smallest unit on chain, decimal strings everywhere else.

No float ever touches money: `format_units(1500000000000000000, 18) == "1.5"` by integer
division, and `parse_units("1.5", 18)` reads the string exactly, refusing more fractional digits
than the token has (rounding someone's money silently is worse than a clear 400).
"""

from __future__ import annotations

import re

from tidecast.errors import InvalidInput

_DECIMAL = re.compile(r"(?P<whole>[0-9]+)(?:\.(?P<frac>[0-9]+))?", re.ASCII)
UINT256_MAX = 2**256 - 1


def format_units(value: int, decimals: int) -> str:
    """`value` smallest units as a decimal string of whole tokens, without trailing zeros."""
    if value < 0:
        raise ValueError("token amounts are never negative")
    whole, frac = divmod(value, 10**decimals)
    if not frac:
        return str(whole)
    return f"{whole}.{str(frac).rjust(decimals, '0').rstrip('0')}"


def parse_units(text: str, decimals: int, *, field: str = "amount") -> int:
    """A decimal string of whole tokens ("12", "0.25") as smallest units; 400 naming `field`."""
    found = _DECIMAL.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        raise InvalidInput(f"{field} must be a decimal number of tokens such as 12 or 0.25, got {text!r}")
    frac = found["frac"] or ""
    if len(frac.rstrip("0")) > decimals:
        raise InvalidInput(f"{field} has more than {decimals} decimal places (the token's smallest unit)")
    value: int = int(found["whole"]) * 10**decimals + int(frac.ljust(decimals, "0")[:decimals] or "0")
    if value > UINT256_MAX:
        raise InvalidInput(f"{field} is too large")
    return value


def normalise(text: str, *, field: str = "amount") -> str:
    """A decimal string of whole tokens in the form `format_units` writes ("0.0010" -> "0.001",
    "007" -> "7"), without knowing the token's decimals: for configured defaults, which must not
    cost a chain read."""
    found = _DECIMAL.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None or len(text) > 160:
        got = text[:60] if isinstance(text, str) else text
        raise InvalidInput(f"{field} must be a decimal number of tokens such as 12 or 0.25, got {got!r}")
    whole = found["whole"].lstrip("0") or "0"
    frac = (found["frac"] or "").rstrip("0")
    return f"{whole}.{frac}" if frac else whole
