"""Checking a change of circumstances notification (SLA Appendix 7) on its own. Pure: no database, "today" passed in.

The web form, the API and the bulk file send the same fields (`name` is the API key and the CSV column), so every
channel reports the same faults in the same plain words. What needs the database (is there such a debt, does the
NINO match it, is it still in recovery) is checked by `services.changes_receive`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from liaison.casework.models import ChangeKind
from liaison.core.identifiers import nino_fault, normalise_nino


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool = True
    max_length: int | None = None
    help: str = ""


# The Appendix 7 form's fields, in its order.
FIELDS: list[Field] = [
    Field("customer_name", "Customer's name", max_length=200),
    Field("nino", "National Insurance number", max_length=13),
    Field("la_reference", "LA reference number", max_length=40),
    Field("change", "Change of circumstances",
          help="repaid_in_full, now_on_hb, la_arrangements, appealed or other"),
    Field("la_told_on", "Date your overpayment team was told", help="YYYY-MM-DD"),
    Field("details", "Details", required=False, max_length=2000, help="required when the change is other"),
    Field("officer_name", "Name of the officer sending it", max_length=200),
]
FIELDS_BY_NAME = {f.name: f for f in FIELDS}
COLUMNS = [f.name for f in FIELDS]
# The values the API and the file use for each kind of change (the page uses the same).
KIND_VALUES: dict[str, str] = {
    "repaid_in_full": ChangeKind.REPAID_IN_FULL,
    "now_on_hb": ChangeKind.NOW_ON_HB,
    "la_arrangements": ChangeKind.LA_ARRANGEMENTS,
    "appealed": ChangeKind.APPEALED,
    "other": ChangeKind.OTHER,
}
VALUE_FOR_KIND = {kind: value for value, kind in KIND_VALUES.items()}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_NAME = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ'’. -]+$")
_REFERENCE = re.compile(r"^[A-Za-z0-9/_.-]+$")


@dataclass(frozen=True)
class Fault:
    field: str
    message: str

    @property
    def label(self) -> str:
        if self.field == "row":
            return "Row"
        return FIELDS_BY_NAME[self.field].label if self.field in FIELDS_BY_NAME else self.field

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "label": self.label, "message": self.message}


@dataclass
class CleanChange:
    customer_name: str = ""
    nino: str = ""
    la_reference: str = ""
    kind: str = ""
    la_told_on: dt.date | None = None
    details: str = ""
    officer_name: str = ""
    faults: list[Fault] = field(default_factory=list)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    if not isinstance(value, str):
        raise TypeError
    return value.strip()


def validate_change(data: Any, *, today: dt.date) -> CleanChange:
    """Every fault of the form at once, by field. `data` may come from anywhere: anything unexpected is a fault."""
    clean = CleanChange()
    faults = clean.faults
    if not isinstance(data, dict):
        faults.append(Fault("row", "Send the change as a set of named fields"))
        return clean
    text: dict[str, str] = {}
    for f in FIELDS:
        try:
            value = _text(data.get(f.name))
        except TypeError:
            faults.append(Fault(f.name, f"{f.label} must be text"))
            continue
        if _CONTROL.search(value):
            faults.append(Fault(f.name, f"{f.label} must not hold control characters"))
            continue
        if f.max_length and len(value) > f.max_length:
            faults.append(Fault(f.name, f"{f.label} must be {f.max_length:,} characters or fewer"))
            continue
        text[f.name] = value

    if "customer_name" in text:
        name = text["customer_name"]
        if not name:
            faults.append(Fault("customer_name", "Enter the customer's name"))
        elif not _NAME.match(name):
            faults.append(Fault("customer_name", "Customer's name must only include letters, spaces, hyphens, "
                                                  "apostrophes and full stops"))
        else:
            clean.customer_name = " ".join(name.split())
    if "nino" in text:
        problem = nino_fault(text["nino"])
        if problem:
            faults.append(Fault("nino", problem))
        else:
            clean.nino = normalise_nino(text["nino"])
    if "la_reference" in text:
        ref = text["la_reference"]
        if not ref:
            faults.append(Fault("la_reference", "Enter your reference for the overpayment"))
        elif not _REFERENCE.match(ref):
            faults.append(Fault("la_reference", "LA reference number must only include letters, numbers and / _ . -"))
        else:
            clean.la_reference = ref
    if "change" in text:
        value = text["change"].lower()
        if not value:
            faults.append(Fault("change", "Choose the change of circumstances"))
        elif value not in KIND_VALUES:
            faults.append(Fault("change", "Change of circumstances must be one of " + ", ".join(KIND_VALUES)))
        else:
            clean.kind = KIND_VALUES[value]
    if "la_told_on" in text:
        value = text["la_told_on"]
        day = _date(value)
        if not value:
            faults.append(Fault("la_told_on", "Enter the date your overpayment team was told of the change"))
        elif day is None:
            faults.append(Fault("la_told_on", "Date your overpayment team was told must be a real date, like "
                                              "2025-04-07"))
        elif day > today:
            faults.append(Fault("la_told_on", "Date your overpayment team was told cannot be in the future"))
        else:
            clean.la_told_on = day
    if "details" in text:
        clean.details = text["details"]
        if clean.kind == ChangeKind.OTHER and not clean.details:
            faults.append(Fault("details", "Describe the change: it is required when the change is other"))
    if "officer_name" in text:
        officer = text["officer_name"]
        if not officer:
            faults.append(Fault("officer_name", "Enter the name of the officer sending the change"))
        else:
            clean.officer_name = " ".join(officer.split())
    return clean


def _date(value: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        return day if day.year >= 1990 else None
    return None
