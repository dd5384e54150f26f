"""Parsing what a person typed on the remittance pages."""

from __future__ import annotations

import datetime as dt

from django.http import QueryDict

DATE_PARTS = ("day", "month", "year")


def date_from_parts(post: QueryDict, name: str) -> tuple[dt.date | None, str | None]:
    """A GOV.UK date input (day, month, year boxes) -> (the date, None), (None, None) when left blank, or
    (None, the fault to show) when it is not a real date."""
    parts = [(post.get(f"{name}-{p}") or "").strip() for p in DATE_PARTS]
    if not any(parts):
        return None, None
    day, month, year = parts
    if not all(p.isdigit() for p in parts) or len(year) != 4:
        return None, "The date the payment was made must be a real date, like 27 3 2025"
    try:
        return dt.date(int(year), int(month), int(day)), None
    except ValueError:
        return None, "The date the payment was made must be a real date, like 27 3 2025"
