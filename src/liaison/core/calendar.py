"""Working days on the right nation's calendar, from GOV.UK's own bank holiday feed (an offline copy).

Time is always an argument: nothing here reads "today".
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from govuk_bank_holidays.bank_holidays import BankHolidays

ENGLAND_AND_WALES = "england-and-wales"
SCOTLAND = "scotland"
NORTHERN_IRELAND = "northern-ireland"

# Nation codes used across Liaison -> GOV.UK's division names.
DIVISION_FOR_NATION = {"ENG": ENGLAND_AND_WALES, "WLS": ENGLAND_AND_WALES, "SCT": SCOTLAND, "NIR": NORTHERN_IRELAND}


@lru_cache(maxsize=1)
def _feed() -> BankHolidays:
    return BankHolidays(use_cached_holidays=True)


@lru_cache(maxsize=8)
def bank_holidays(nation: str) -> frozenset[dt.date]:
    division = DIVISION_FOR_NATION[nation]
    return frozenset(h["date"] for h in _feed().get_holidays(division=division))


def is_working_day(day: dt.date, nation: str) -> bool:
    return day.weekday() < 5 and day not in bank_holidays(nation)


def add_working_days(start: dt.date, days: int, nation: str) -> dt.date:
    """The date `days` working days after `start` (start itself not counted)."""
    holidays = bank_holidays(nation)
    day = start
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date, nation: str) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    if end <= start:
        return 0
    holidays = bank_holidays(nation)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            count += 1
    return count


def next_weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)
