"""Checking a National Referral form as a CC Porth officer would. Pure functions: no database, "today" passed in.

The same checks serve the web form, the API and the bulk file, so every channel reports the same faults in the
same plain words. Every fault is reported together, by field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from liaison.core.identifiers import nino_fault, normalise_nino, normalise_postcode, postcode_fault
from liaison.core.money import MoneyError, parse_pounds

MAX_BALANCE_PENCE = 100_000_000  # £1,000,000: anything larger is a keying error, not an HB overpayment


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool = True
    max_length: int | None = None
    help: str = ""


# The form's fields, in the order of Appendix 6. `name` is the API key and the CSV column.
FIELDS: list[Field] = [
    Field("la_code", "LA code", max_length=16, help="Your authority's official (ONS) code, like E08000025"),
    Field("referral_date", "Date of referral", help="YYYY-MM-DD"),
    Field("cis_checked_on", "Date CIS was checked", help="YYYY-MM-DD, on or before the referral date"),
    Field("customer_name", "Customer's name", max_length=200),
    Field("address_line_1", "Address line 1", max_length=100),
    Field("address_line_2", "Address line 2", required=False, max_length=100),
    Field("address_line_3", "Town or city", required=False, max_length=100),
    Field("address_line_4", "County", required=False, max_length=100),
    Field("postcode", "Postcode", max_length=10),
    Field("nino", "National Insurance number", max_length=13),
    Field("date_of_birth", "Date of birth", help="YYYY-MM-DD"),
    Field("la_reference", "LA reference number", max_length=40),
    Field("benefit", "Benefit overpaid", help="HB or CTB"),
    Field("civil_penalty", "Civil Penalty", required=False, help="yes or no (blank means no)"),
    Field("civil_penalty_overpayment_reference", "Overpayment the Civil Penalty belongs to", required=False,
          max_length=40, help="The LA reference of the overpayment referral, for a Civil Penalty"),
    Field("cause", "Cause of overpayment", help="failure_to_disclose or misrepresentation"),
    Field("classification", "Overpayment classification", help="error or fraud"),
    Field("reason", "Reason for overpayment", help="a reason code from the list"),
    Field("reason_other", "Other reason", required=False, max_length=500, help="required when reason is OTHER"),
    Field("period_from", "Period of overpayment from", help="YYYY-MM-DD"),
    Field("period_to", "Period of overpayment to", help="YYYY-MM-DD"),
    Field("amount_recovered", "Amount already recovered by LA", required=False, help="pounds and pence; blank is 0"),
    Field("outstanding_balance", "Outstanding balance", help="pounds and pence, like 1234.56"),
]
FIELDS_BY_NAME = {f.name: f for f in FIELDS}
COLUMNS = [f.name for f in FIELDS]
TEXT_FIELDS = {"customer_name", "address_line_1", "address_line_2", "address_line_3", "address_line_4",
               "la_reference", "civil_penalty_overpayment_reference", "reason_other"}
DATE_FIELDS = {"referral_date", "cis_checked_on", "date_of_birth", "period_from", "period_to"}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NAME = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿ'’. -]+$")
_REFERENCE = re.compile(r"^[A-Za-z0-9/_.-]+$")
_CONTROL = re.compile(r"[\x00-\x1f]")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}


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
class CleanReferral:
    la_code: str = ""
    referral_date: dt.date | None = None
    cis_checked_on: dt.date | None = None
    customer_name: str = ""
    address_line_1: str = ""
    address_line_2: str = ""
    address_line_3: str = ""
    address_line_4: str = ""
    postcode: str = ""
    nino: str = ""
    date_of_birth: dt.date | None = None
    la_reference: str = ""
    benefit_type: str = ""
    is_civil_penalty: bool = False
    penalty_overpayment_reference: str = ""
    cause: str = ""
    classification: str = ""
    reason_code: str = ""
    reason_other: str = ""
    period_from: dt.date | None = None
    period_to: dt.date | None = None
    amount_recovered_pence: int | None = None
    outstanding_balance_pence: int | None = None
    faults: list[Fault] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["faults"] = [f.as_dict() for f in self.faults]
        return data


def _text(value: Any) -> str:
    if type(value) is str:  # the usual case first (a file's cells are all text)
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value)
    if not isinstance(value, str):
        raise TypeError
    return value.strip()


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    text = _text(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        # YYYY-MM-DD, the template's form, without strptime (several times slower); the same dates and faults.
        year, month, day = text[:4], text[5:7], text[8:]
        if year.isdigit() and month.isdigit() and day.isdigit():
            return dt.date(int(year), int(month), int(day))
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError


def _in_sentence(label: str) -> str:
    """A label inside a sentence: "Customer's name" -> "customer's name", but "LA reference number" and
    "National Insurance number" keep their capitals."""
    first = label.split(" ", 1)[0]
    if first.isupper() or label.startswith(("National Insurance", "Civil Penalty")):
        return label
    return label[0].lower() + label[1:]


def validate(data: dict[str, Any], *, la_code: str, today: dt.date, reason_codes: set[str]) -> CleanReferral:
    """Check one referral. `la_code` is the referring LA's own code; `today` is the day it was received."""
    clean = CleanReferral()
    faults = clean.faults

    def add(name: str, message: str) -> None:
        faults.append(Fault(name, message))

    raw: dict[str, str] = {}
    for f in FIELDS:
        value = data.get(f.name)
        if f.name == "civil_penalty" and isinstance(value, bool):
            raw[f.name] = "yes" if value else "no"
            continue
        if f.name in ("amount_recovered", "outstanding_balance") and isinstance(value, int | float) \
                and not isinstance(value, bool):
            raw[f.name] = repr(value) if isinstance(value, float) else str(value)
            continue
        try:
            raw[f.name] = _text(value)
        except TypeError:
            add(f.name, f"{f.label} must be text, not {type(value).__name__}")
            raw[f.name] = ""
            continue
        if f.max_length and len(raw[f.name]) > f.max_length:
            add(f.name, f"{f.label} must be {f.max_length} characters or fewer (it has {len(raw[f.name])})")
            raw[f.name] = ""
            continue
        if f.name in TEXT_FIELDS and raw[f.name].startswith(_FORMULA_START):
            add(f.name, f"{f.label} must not start with =, +, -, @ or a tab (it looks like a spreadsheet formula)")
            raw[f.name] = ""
            continue
        if f.required and not raw[f.name] and not (faults and any(x.field == f.name for x in faults)):
            add(f.name, f"Enter the {_in_sentence(f.label)}" if f.name != "la_code" else "Enter your LA code")
    missing = {x.field for x in faults}

    # The referring LA
    if raw["la_code"] and raw["la_code"].upper() != la_code.upper():
        add("la_code", f"LA code {raw['la_code']} is not your authority's code ({la_code})")
    clean.la_code = raw["la_code"].upper()

    # Dates
    dates: dict[str, dt.date | None] = {}
    for name in sorted(DATE_FIELDS):
        dates[name] = None
        if name in missing or not raw[name]:
            continue
        try:
            dates[name] = _parse_date(raw[name])
        except ValueError:
            add(name, f"{FIELDS_BY_NAME[name].label} must be a real date, like 2025-04-07")
    ref_date, cis, dob = dates["referral_date"], dates["cis_checked_on"], dates["date_of_birth"]
    p_from, p_to = dates["period_from"], dates["period_to"]
    if ref_date and ref_date > today:
        add("referral_date", "Date of referral must be today or in the past")
    if ref_date and ref_date < today - dt.timedelta(days=366):
        add("referral_date", "Date of referral must be within the last year")
    if cis and cis > today:
        add("cis_checked_on", "Date CIS was checked must be today or in the past")
    elif cis and ref_date and cis > ref_date:
        add("cis_checked_on", "Date CIS was checked must be on or before the date of referral")
    if dob:
        if dob >= today:
            add("date_of_birth", "Date of birth must be in the past")
        elif dob < dt.date(1900, 1, 1):
            add("date_of_birth", "Date of birth must be after 1 January 1900")
        elif _age_on(dob, today) < 16:
            add("date_of_birth", "Customer must be at least 16 years old")
    if p_from and p_from > today:
        add("period_from", "Period of overpayment from must be in the past")
    if p_to and p_to > today:
        add("period_to", "Period of overpayment to must be today or in the past")
    if p_from and p_to and p_from > p_to:
        add("period_to", "Period of overpayment to must be the same as or after the date it is from")
    if p_from and dob and p_from < dob:
        add("period_from", "Period of overpayment cannot start before the customer's date of birth")
    clean.referral_date, clean.cis_checked_on, clean.date_of_birth = ref_date, cis, dob
    clean.period_from, clean.period_to = p_from, p_to

    # The customer
    if raw["customer_name"]:
        if not _NAME.match(raw["customer_name"]):
            add("customer_name", "Customer's name must only include letters, spaces, hyphens, apostrophes "
                                 "and full stops")
        else:
            clean.customer_name = " ".join(raw["customer_name"].split())
    for name in ("address_line_1", "address_line_2", "address_line_3", "address_line_4"):
        clean_value = " ".join(raw[name].split())
        if _CONTROL.search(raw[name]):
            add(name, f"{FIELDS_BY_NAME[name].label} must not contain control characters")
        setattr(clean, name, clean_value)
    if raw["postcode"] and "postcode" not in missing:
        if fault := postcode_fault(raw["postcode"]):
            add("postcode", fault)
        else:
            clean.postcode = normalise_postcode(raw["postcode"])
    if raw["nino"] and "nino" not in missing:
        if fault := nino_fault(raw["nino"]):
            add("nino", fault)
        else:
            clean.nino = normalise_nino(raw["nino"])

    # The overpayment
    if raw["la_reference"]:
        if not _REFERENCE.match(raw["la_reference"]):
            add("la_reference", "LA reference number must only include letters, numbers, / - _ and .")
        else:
            clean.la_reference = raw["la_reference"]
    benefit = raw["benefit"].upper()
    if benefit in ("HB", "CTB"):
        clean.benefit_type = benefit
    elif benefit == "UC":
        add("benefit", "Universal Credit overpayments are not recovered under this agreement")
    elif benefit:
        add("benefit", "Benefit overpaid must be HB (Housing Benefit) or CTB (Council Tax Benefit)")
    penalty = raw["civil_penalty"].lower()
    if penalty in _YES:
        clean.is_civil_penalty = True
        if not raw["civil_penalty_overpayment_reference"]:
            add("civil_penalty_overpayment_reference",
                "Enter the LA reference of the overpayment this Civil Penalty belongs to")
        elif raw["civil_penalty_overpayment_reference"] == raw["la_reference"]:
            add("civil_penalty_overpayment_reference",
                "A Civil Penalty needs its own LA reference, different from its overpayment's")
        else:
            clean.penalty_overpayment_reference = raw["civil_penalty_overpayment_reference"]
    elif penalty not in _NO:
        add("civil_penalty", "Civil Penalty must be yes or no")
    cause = raw["cause"].lower().replace(" ", "_").replace("-", "_")
    if cause in ("failure_to_disclose", "misrepresentation"):
        clean.cause = cause
    elif cause:
        add("cause", "Cause of overpayment must be one of: failure to disclose, misrepresentation")
    classification = raw["classification"].upper()
    if classification in ("ERROR", "FRAUD"):
        clean.classification = classification
    elif classification:
        add("classification", "Overpayment classification must be one of: error, fraud")
    reason = raw["reason"].upper()
    if reason:
        if reason not in reason_codes:
            add("reason", f"Reason for overpayment {raw['reason']} is not on the list of reasons")
        else:
            clean.reason_code = reason
            if reason == "OTHER" and not raw["reason_other"]:
                add("reason_other", "Enter the reason for the overpayment in your own words")
            clean.reason_other = raw["reason_other"] if reason == "OTHER" else ""

    # Money: exact pence, positive balance
    for name, attr in (("amount_recovered", "amount_recovered_pence"),
                       ("outstanding_balance", "outstanding_balance_pence")):
        label = FIELDS_BY_NAME[name].label
        if name in missing:
            continue
        if not raw[name]:
            if name == "amount_recovered":
                setattr(clean, attr, 0)
            continue
        try:
            pence = parse_pounds(raw[name])
        except MoneyError as exc:
            add(name, f"{label} {exc}")
            continue
        if name == "outstanding_balance" and pence <= 0:
            add(name, "Outstanding balance must be more than £0.00")
        elif pence < 0:
            add(name, f"{label} must not be negative")
        elif pence > MAX_BALANCE_PENCE:
            add(name, f"{label} must be £1,000,000.00 or less")
        else:
            setattr(clean, attr, pence)
    return clean


def _age_on(dob: dt.date, day: dt.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))
