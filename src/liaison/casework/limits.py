"""How long DM has for each piece of casework: the service standards' limits, as data (DOMAIN §8).

This table is data, not logic, and is kept in one place so that the SLA app (`liaison.sla`), when it is built, can
own it (standards with effective dates, local agreements stricter than the minimum) and this module can read from
there instead. Nothing else in casework holds a number of days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from liaison.core.calendar import add_working_days, working_days_between


@dataclass(frozen=True)
class Limit:
    code: str
    what: str
    working_days: int
    calendar: str  # whose calendar runs the clock: "DM" (England and Wales) or "LA" (the LA's nation)
    source: str


LIMITS: dict[str, Limit] = {limit.code: limit for limit in (
    Limit("COC-NOTIFY", "LA sends a change of circumstances", 5, "LA",
          "SLA Appendix 1 row 5 and Appendix 2: within 5 working days of the overpayment team being told"),
    Limit("COC-ACTION", "DM actions a change of circumstances", 10, "DM",
          "SLA Appendix 1 row 5: the '2 week head of work' target, read as 10 working days (DOMAIN D3)"),
    Limit("COMPLAINT-FWD", "Complaint or MP enquiry forwarded to the LA", 3, "DM",
          "SLA Appendix 2 row 9: 3 working days (Appendix 1 says 7; the stricter is the default, DOMAIN D2)"),
    Limit("SOE", "Sequence of events supplied to the LA", 7, "DM",
          "SLA Appendix 1 row 8 and Appendix 2 row 9: within 7 working days of the LA's request"),
)}

# DM's calendar (its sites are in England and Wales): the nation code core.calendar knows it by.
DM_NATION = "ENG"
# A work item is "due soon" when it falls due today or within this many working days after today.
DUE_SOON_WORKING_DAYS = 2


def due_on(code: str, received_on: dt.date) -> dt.date:
    """The day a clock started on `received_on` runs out, on DM's calendar."""
    return add_working_days(received_on, LIMITS[code].working_days, DM_NATION)


def urgency(due: dt.date, today: dt.date) -> str:
    """"overdue", "soon" (due within DUE_SOON_WORKING_DAYS working days) or "later"."""
    if due < today:
        return "overdue"
    if due <= add_working_days(today, DUE_SOON_WORKING_DAYS, DM_NATION):
        return "soon"
    return "later"


def la_notified_within(la_told_on: dt.date, received_on: dt.date, la_nation: str) -> tuple[int, bool]:
    """(working days the LA took to send the change, whether that met COC-NOTIFY), on the LA's calendar."""
    days = working_days_between(la_told_on, received_on, la_nation)
    return days, days <= LIMITS["COC-NOTIFY"].working_days
