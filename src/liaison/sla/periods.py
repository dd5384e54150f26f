"""Reporting periods: a month, a quarter of an SLA year, or an SLA year (April to March, SLA A10.13).

Pure functions of their arguments: "today" is always passed in.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass


def sla_year_of(day: dt.date) -> int:
    """The SLA year a day is in, named by the year it starts: 31 March 2025 is in 2024 (2024/25)."""
    return day.year if day.month >= 4 else day.year - 1


def sla_year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str  # "month", "quarter" or "year"
    start: dt.date
    end: dt.date
    key: str

    @property
    def sla_year(self) -> int:
        return sla_year_of(self.start)

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start:%B %Y}"
        if self.kind == "quarter":
            quarter = int(self.key[-1])
            return (f"{sla_year_label(self.sla_year)} quarter {quarter} "
                    f"({self.start:%B} to {self.end:%B %Y})")
        return f"SLA year {sla_year_label(self.sla_year)} (April {self.start.year} to March {self.end.year})"

    @property
    def months(self) -> list[dt.date]:
        out, month = [], self.start
        while month <= self.end:
            out.append(month)
            month = add_months(month, 1)
        return out

    def year(self) -> Period:
        return sla_year(self.sla_year)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def sla_year(year: int) -> Period:
    return Period("year", dt.date(year, 4, 1), dt.date(year + 1, 3, 31), str(year))


def sla_quarter(year: int, quarter: int) -> Period:
    start = add_months(dt.date(year, 4, 1), 3 * (quarter - 1))
    return Period("quarter", start, month_end(add_months(start, 2)), f"{year}-Q{quarter}")


def month_period(month: dt.date) -> Period:
    first = month.replace(day=1)
    return Period("month", first, month_end(first), f"{first:%Y-%m}")


_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(text: str | None, *, today: dt.date) -> Period:
    """'2024' (SLA year 2024/25), '2024-Q3' (its third quarter: October to December 2024) or '2024-11'. Anything
    else, or nothing, is the SLA year `today` is in."""
    text = (text or "").strip()
    if m := _YEAR.match(text):
        year = int(m.group(1))
        if 2000 <= year <= 2100:
            return sla_year(year)
    if m := _QUARTER.match(text):
        year = int(m.group(1))
        if 2000 <= year <= 2100:
            return sla_quarter(year, int(m.group(2)))
    if m := _MONTH.match(text):
        year, month = int(m.group(1)), int(m.group(2))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return month_period(dt.date(year, month, 1))
    return sla_year(sla_year_of(today))


def period_choices(*, today: dt.date, years: int = 4) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a period picker: each SLA year (newest first), its quarters and months."""
    current = sla_year_of(today)
    groups = []
    for year in range(current, current - years, -1):
        p = sla_year(year)
        options = [(p.key, p.label)]
        options += [(q.key, q.label) for q in (sla_quarter(year, n) for n in range(1, 5)) if q.start <= today]
        options += [(month_period(m).key, f"{m:%B %Y}") for m in p.months if m <= today]
        groups.append((f"SLA year {sla_year_label(year)}", options))
    return groups
