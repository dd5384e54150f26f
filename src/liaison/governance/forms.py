"""Parsing what a person typed on the governance pages (GOV.UK date inputs, choices) and shaping faults for the
error summary. Business rules live in the services, not here."""

from __future__ import annotations

import datetime as dt

from django.http import QueryDict

DATE_PARTS = ("day", "month", "year")


def date_from_parts(data: QueryDict, name: str, label: str) -> tuple[dt.date | None, str | None]:
    """A GOV.UK date input (day, month, year boxes) -> (the date, None); (None, None) when all blank; or
    (None, a fault naming what is wrong) when it is not a real date."""
    parts = [(data.get(f"{name}-{p}") or "").strip() for p in DATE_PARTS]
    if not any(parts):
        return None, None
    day, month, year = parts
    missing = [p for p, v in zip(DATE_PARTS, parts, strict=True) if not v]
    if missing:
        return None, f"{label} must include a {' and a '.join(missing)}"
    if not all(p.isdigit() for p in parts) or len(year) != 4:
        return None, f"{label} must be a real date, like 27 3 2025"
    try:
        return dt.date(int(year), int(month), int(day)), None
    except ValueError:
        return None, f"{label} must be a real date, like 27 3 2025"


def date_parts(day: dt.date | None, name: str) -> dict[str, str]:
    if day is None:
        return {}
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


class Form:
    """What a person sent, the dates in it, and the faults found in it (by the page or by the service)."""

    def __init__(self, data: QueryDict | dict | None = None, *, dates: dict[str, str] | None = None):
        self.data = data if data is not None else {}
        self.errors: dict[str, str] = {}
        self.date_names = set((dates or {}).keys())
        self.dates: dict[str, dt.date | None] = {}
        for name, label in (dates or {}).items():
            value, fault = date_from_parts(self.data, name, label) if data is not None else (None, None)
            self.dates[name] = value
            if fault:
                self.errors[name] = fault

    def get(self, name: str, default: str = "") -> str:
        return (self.data.get(name) or default) if hasattr(self.data, "get") else default

    def add_faults(self, faults: dict[str, str]) -> None:
        for key, message in faults.items():
            # A date the page could not read keeps the page's own message ("must be a real date").
            self.errors.setdefault(key or "form", message)

    @property
    def summary(self) -> list[dict]:
        # The summary links to the first box of a date ("starts_on-day"), as GOV.UK's date pattern asks.
        return [{"field": "main-content" if k == "form" else
                 (f"{k}-day" if k in self.date_names or k.endswith("_on") else k), "message": v}
                for k, v in self.errors.items()]

    def context(self) -> dict:
        return {"data": self.data, "errors": self.errors, "error_summary": self.summary, "date_parts": DATE_PARTS}
