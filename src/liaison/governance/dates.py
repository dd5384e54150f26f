"""The date rules of partnership working, as pure functions: nothing here reads "today".

Calendar days, not working days: the agreement speaks of "30 days", "90 days", "one week", "quarterly" and
"6 months" [SLA 14.2-14.5, JSOG].

Months and years are calendar months and years. Where the same day does not exist in the target month, a month
step lands on that month's last day (31 August + 3 months = 30 November; 30 November + 3 months = 29 February in
a leap year), and a year after 29 February is 1 March of a common year (the first day on which a whole year has
passed), so a 3-year term from 29 February 2024 ends on 28 February 2027.
"""

from __future__ import annotations

import calendar
import datetime as dt

REMEDY_DAYS = 30            # SLA 14.2: remedy within 30 days of written notification of the default
TERMINATION_DAYS = 90       # SLA 14.3-14.4: termination takes effect 90 days after service of the notice
MINUTES_DAYS = 7            # JSOG: cleared minutes circulated within one week of the meeting
MEETING_EVERY_MONTHS = 3    # JSOG: at least quarterly
EXTENSION_TALKS_MONTHS = 6  # SLA 14.5: discussions within 6 months of expiry
TERM_YEARS = 3              # SLA 5: a period of 3 years
REVIEW_YEARS = 1            # a directory entry not checked for a year is flagged


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole calendar months (negative goes back), clamped to the target month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def anniversary(day: dt.date, years: int) -> dt.date:
    """The same date `years` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return dt.date(day.year + years, 3, 1)


def term_end(starts_on: dt.date, years: int = TERM_YEARS) -> dt.date:
    """The last day of a term of `years` starting on `starts_on`: 1 April 2014 for 3 years ends 31 March 2017."""
    return anniversary(starts_on, years) - dt.timedelta(days=1)


def extension_talks_from(expires_on: dt.date) -> dt.date:
    """When talks on an extension should start: 6 months before the agreement expires [SLA 14.5]."""
    return add_months(expires_on, -EXTENSION_TALKS_MONTHS)


def remedy_deadline(served_on: dt.date) -> dt.date:
    """The last day to remedy a default: 30 days after the notice of default was served [SLA 14.2]."""
    return served_on + dt.timedelta(days=REMEDY_DAYS)


def termination_effective(served_on: dt.date) -> dt.date:
    """The day a termination takes effect: at the expiry of 90 days from service of the notice [SLA 14.3-14.4]."""
    return served_on + dt.timedelta(days=TERMINATION_DAYS)


def minutes_due(meeting_date: dt.date) -> dt.date:
    """The last day to circulate cleared minutes: one week after the meeting [JSOG]."""
    return meeting_date + dt.timedelta(days=MINUTES_DAYS)


def next_meeting_due(last: dt.date, months: int = MEETING_EVERY_MONTHS) -> dt.date:
    """The latest date for the next meeting: at least quarterly [JSOG]."""
    return add_months(last, months)


def review_due(last_checked: dt.date) -> dt.date:
    """When a directory entry checked on `last_checked` is due for review again: a year later."""
    return anniversary(last_checked, REVIEW_YEARS)
