"""Turning the referral page's POST into the canonical referral data every channel shares."""

from __future__ import annotations

from django.http import QueryDict

from liaison.referrals.validation import COLUMNS, DATE_FIELDS

DATE_PARTS = ("day", "month", "year")


def _date_from_parts(post: QueryDict, name: str) -> str:
    parts = [(post.get(f"{name}-{p}") or "").strip() for p in DATE_PARTS]
    if not any(parts):
        return ""
    day, month, year = parts
    if not all(p.isdigit() for p in parts) or len(year) != 4:
        return "not-a-date"
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def referral_data_from_post(post: QueryDict) -> dict[str, str]:
    data = {}
    for name in COLUMNS:
        if name in DATE_FIELDS:
            data[name] = _date_from_parts(post, name)
        else:
            data[name] = post.get(name, "")
    if data.get("civil_penalty") != "yes":
        data["civil_penalty_overpayment_reference"] = ""
    return data


def web_fault_message(message: str) -> str:
    """Dates on the page are typed as day, month and year."""
    return message.replace("like 2025-04-07", "like 27 3 2025")
