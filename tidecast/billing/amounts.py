"""Money at the card's edge: currency amounts in minor units, and the credit they buy.

Stripe counts every amount in the currency's smallest unit (cents; yen for zero-decimal
currencies), so the page's "5.00" is 500 here, an integer, and a purchase's credit is
`minor x rate x 10**decimals / 10**exponent` platform-token base units, computed with
`Fraction` and rounded down: a viewer never gets credit that was not paid for, and no float
touches it. What may be bought is a list ("5,10,20") or a range ("5-200") of whole-unit
decimal strings (TIDECAST_BILLING_AMOUNTS).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from tidecast.errors import InvalidInput

#: Stripe's zero-decimal currencies (amounts are whole units) and its three-decimal ones.
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())
_AMOUNT = re.compile(r"(?P<whole>[0-9]{1,12})(?:\.(?P<frac>[0-9]{1,3}))?", re.ASCII)
#: Stripe's own ceiling for one Checkout payment is 99,999,999 minor units (in USD).
MAX_MINOR = 99_999_999


def exponent(currency: str) -> int:
    """Decimal places of the currency's minor unit, as Stripe counts them."""
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


def to_minor(text: str, currency: str, *, field: str = "amount") -> int:
    """A decimal string of whole currency units ("5", "5.00") as minor units; 400 naming `field`."""
    found = _AMOUNT.fullmatch(text.strip()) if isinstance(text, str) else None
    if found is None:
        got = text[:40] if isinstance(text, str) else text
        raise InvalidInput(
            f"Invalid '{field}': an amount of {currency.upper()} such as 5 or 5.00, got {got!r}"
        )
    places = exponent(currency)
    frac = found["frac"] or ""
    if len(frac.rstrip("0")) > places:
        raise InvalidInput(f"Invalid '{field}': {currency.upper()} has {places} decimal places")
    value: int = int(found["whole"]) * 10**places + int(frac.ljust(places, "0")[:places] or "0")
    return value


def from_minor(minor: int, currency: str) -> str:
    """Minor units as a decimal string with the currency's places ("5.00")."""
    places = exponent(currency)
    if places == 0:
        return str(minor)
    whole, frac = divmod(minor, 10**places)
    return f"{whole}.{str(frac).rjust(places, '0')}"


@dataclass(frozen=True)
class Offer:
    """What a viewer may buy: a list of amounts, or a range (both ends in), in minor units."""

    currency: str
    choices: tuple[int, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    @classmethod
    def parse(cls, text: str, currency: str) -> Offer:
        """TIDECAST_BILLING_AMOUNTS: "5,10,20" or "5-200" (whole units); ValueError when bad."""
        try:
            if "-" in text:
                low, _, high = text.partition("-")
                minimum, maximum = to_minor(low, currency), to_minor(high, currency)
                if not 0 < minimum <= maximum <= MAX_MINOR:
                    raise ValueError(
                        f"the range must be 0 < low <= high <= {from_minor(MAX_MINOR, currency)}"
                    )
                return cls(currency, minimum=minimum, maximum=maximum)
            choices = tuple(sorted({to_minor(item, currency) for item in text.split(",") if item.strip()}))
        except InvalidInput as exc:
            raise ValueError(exc.message) from None
        if not choices or choices[0] <= 0 or choices[-1] > MAX_MINOR:
            raise ValueError("list one or more amounts above 0, such as 5,10,20")
        return cls(currency, choices=choices)

    def check(self, minor: int) -> int:
        """`minor` when it may be bought, else a 400 saying what may."""
        if self.choices and minor not in self.choices:
            listed = ", ".join(from_minor(c, self.currency) for c in self.choices)
            raise InvalidInput(f"Invalid 'amount': choose one of {listed} {self.currency.upper()}")
        if (
            self.minimum is not None
            and self.maximum is not None
            and not self.minimum <= minor <= self.maximum
        ):
            raise InvalidInput(
                f"Invalid 'amount': from {from_minor(self.minimum, self.currency)} to "
                f"{from_minor(self.maximum, self.currency)} {self.currency.upper()}"
            )
        return minor


def credit_for(minor: int, currency: str, rate: str, decimals: int) -> int:
    """Platform-token base units `minor` buys at `rate` tokens per whole unit, rounded down."""
    credit: int = math.floor(Fraction(minor, 10 ** exponent(currency)) * Fraction(rate) * 10**decimals)
    return credit


def share(total: int, part: int, whole: int) -> int:
    """`total x part / whole`, rounded down: the credit of a partial refund or dispute."""
    if whole <= 0:
        return 0
    return total * min(part, whole) // whole
