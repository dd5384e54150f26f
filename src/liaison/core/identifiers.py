"""National Insurance numbers and UK postcodes, checked as a CC Porth officer would."""

from __future__ import annotations

import re

# HMRC National Insurance Manual NIM39110: two prefix letters, six digits, a suffix A-D.
# D F I Q U V are never the first or second letter; O is never the second.
# Prefixes BG GB KN NK NT TN ZZ are never allocated; OO CR FY MW NC PP PY PZ are administrative, not real NINOs.
_NINO = re.compile(r"^([A-CEGHJ-PR-TW-Z])([A-CEGHJ-NPR-TW-Z])(\d{6})([A-D])$")
_NINO_SHAPE = re.compile(r"[A-Z]{2}\d{6}[A-Z]")
_NINO_NEVER_PREFIX = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
_NINO_ADMINISTRATIVE_PREFIX = {"OO", "CR", "FY", "MW", "NC", "PP", "PY", "PZ"}


def _without_spaces(value: str) -> str:
    # str.split() and re's \s both split on what Unicode calls white space (Py_UNICODE_ISSPACE); this is several
    # times quicker than re.sub, and runs twice for each row of a bulk file.
    return "".join((value or "").split())


def normalise_nino(value: str) -> str:
    return _without_spaces(value).upper()


def nino_fault(value: str) -> str | None:
    """None when `value` is a valid NINO, otherwise a plain-words reason."""
    nino = normalise_nino(value)
    if not nino:
        return "Enter the customer's National Insurance number"
    if not _NINO_SHAPE.fullmatch(nino):
        return "National Insurance number must be 2 letters, 6 numbers and a letter A to D, like AB 12 34 56 C"
    prefix = nino[:2]
    if prefix in _NINO_NEVER_PREFIX or prefix in _NINO_ADMINISTRATIVE_PREFIX:
        return f"National Insurance number prefix {prefix} is never issued to a person"
    if not _NINO.match(nino):
        if nino[-1] not in "ABCD":
            return "National Insurance number must end in a letter A, B, C or D"
        return f"National Insurance number prefix {prefix} is not one HMRC issues"
    return None


# The UK postcode format (BS 7666): outward code (area, district), space, inward code (sector, unit).
_POSTCODE = re.compile(
    r"^(GIR 0AA|"
    r"(?:[A-PR-UWYZ](?:\d[\dA-HJKPSTUW]?|[A-HK-Y]\d[\dABEHMNPRV-Y]?)) \d[ABD-HJLNP-UW-Z]{2})$"
)


def normalise_postcode(value: str) -> str:
    compact = _without_spaces(value).upper()
    if len(compact) < 5:
        return compact
    return f"{compact[:-3]} {compact[-3:]}"


def postcode_fault(value: str) -> str | None:
    postcode = normalise_postcode(value)
    if not postcode:
        return "Enter the postcode"
    if not _POSTCODE.match(postcode):
        return "Enter a real UK postcode, like SW1A 2AA"
    return None
