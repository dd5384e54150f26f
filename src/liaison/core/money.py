"""Money is integer pence end to end; pounds appear only when a person reads or types them."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_AMOUNT = re.compile(r"^-?\d+(\.\d{1,2})?$")


class MoneyError(ValueError):
    pass


def parse_pounds(value: object) -> int:
    """Parse what a person or a file gives as pounds ("1,234.56", "£12", 12.5) into integer pence.

    Refuses more than two decimal places rather than rounding: a referral balance is exact.
    """
    if value is None:
        raise MoneyError("is missing")
    if isinstance(value, bool):
        raise MoneyError("must be an amount in pounds and pence, like 1234.56")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, Decimal):
        value = format(value, "f")
    if not isinstance(value, str):
        raise MoneyError("must be an amount in pounds and pence, like 1234.56")
    text = value.strip().replace(",", "").replace(" ", "")
    if text.startswith("£"):
        text = text[1:]
    if not text:
        raise MoneyError("is missing")
    if not _AMOUNT.match(text):
        raise MoneyError("must be an amount in pounds and pence, like 1234.56")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise MoneyError("must be an amount in pounds and pence, like 1234.56") from exc
    return int(amount * 100)


def format_pence(pence: int | None) -> str:
    """1234567 -> '£12,345.67'; negative amounts keep their sign in front: '-£1.00'."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pounds, pennies = divmod(abs(int(pence)), 100)
    return f"{sign}£{pounds:,}.{pennies:02d}"


def pence_to_decimal(pence: int) -> Decimal:
    return (Decimal(int(pence)) / 100).quantize(Decimal("0.01"))
