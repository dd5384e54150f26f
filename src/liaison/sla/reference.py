"""Loading the standards (data/standards.json) and generating the working-day calendar table.

Both are re-runnable: they update, never duplicate. An administrator may edit a standard afterwards; loading
again puts the file's values back (the file is the agreement as signed).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from django.db import connection, transaction

from liaison.core import calendar as working_calendar
from liaison.core import events as event_registry
from liaison.partners.models import Nation
from liaison.sla.models import Provision, Standard, WorkingDay

DATA_FILE = Path(__file__).resolve().parent / "data" / "standards.json"

# GOV.UK's offline feed (govuk-bank-holidays) covers 2012 to 2028. The table covers whole years of it; a clock
# outside the table has no due date (shown as such) until the package, and so the feed, is updated and
# `liaison load-standards` is run again.
CALENDAR_FIRST_YEAR = 2012

STANDARD_FIELDS = ("title", "description", "position", "unit", "calendar", "responsible", "subject", "start_kinds",
                   "start_anchor", "start_date_key", "stop_kinds", "stop_filter", "stop_is_start", "stop_date_key",
                   "pair_key", "match_key", "fail_kinds")


@dataclass
class LoadReport:
    standards_created: int = 0
    standards_updated: int = 0
    provisions: int = 0
    calendar_days: int = 0
    unregistered_kinds: list[str] = field(default_factory=list)
    changed: bool = False

    def __str__(self) -> str:
        text = (f"{self.standards_created} standards created, {self.standards_updated} updated, "
                f"{self.provisions} provisions")
        if self.calendar_days:
            text += f"; working-day calendar of {self.calendar_days} days"
        if self.unregistered_kinds:
            text += ("; not registered yet (measured once an app records them): "
                     + ", ".join(sorted(self.unregistered_kinds)))
        return text


def dm_calendar_nation(data: dict | None = None) -> str:
    data = data or json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data.get("dm_calendar_nation", Nation.ENGLAND)


@transaction.atomic
def standards_load(*, path: Path | None = None, calendar: bool = False) -> LoadReport:
    """Load every standard and its provisions from the data file; with `calendar`, (re)generate the working-day
    table too (otherwise the first refresh of the measurements does it)."""
    data = json.loads((path or DATA_FILE).read_text(encoding="utf-8"))
    report = LoadReport()
    known = {k.code for k in event_registry.all_kinds()}
    for item in data["standards"]:
        values = {name: item.get(name, Standard._meta.get_field(name).get_default()) for name in STANDARD_FIELDS}
        standard = Standard.objects.filter(code=item["code"]).first()
        if standard is None:
            standard = Standard.objects.create(code=item["code"], **values)
            report.standards_created += 1
            report.changed = True
        else:
            if any(getattr(standard, k) != v for k, v in values.items()):
                report.changed = True
                for k, v in values.items():
                    setattr(standard, k, v)
                standard.save()
            report.standards_updated += 1
        keep = []
        for p in item["provisions"]:
            effective_from = dt.date.fromisoformat(p["effective_from"])
            effective_to = dt.date.fromisoformat(p["effective_to"]) if p.get("effective_to") else None
            defaults = {"limit": p.get("limit"), "effective_from": effective_from, "effective_to": effective_to,
                        "note": p.get("note", "")}
            provision, created = Provision.objects.get_or_create(standard=standard, agreement=p["agreement"],
                                                                 source=p["source"], defaults=defaults)
            if not created and any(getattr(provision, k) != v for k, v in defaults.items()):
                for k, v in defaults.items():
                    setattr(provision, k, v)
                provision.save()
                report.changed = True
            report.changed |= created
            keep.append(provision.pk)
            report.provisions += 1
        removed, _ = Provision.objects.filter(standard=standard).exclude(pk__in=keep).delete()
        report.changed |= bool(removed)
        report.unregistered_kinds += sorted(standard.all_kinds() - known - set(report.unregistered_kinds))
    if calendar:
        report.calendar_days, calendar_changed = working_days_load()
        report.changed |= calendar_changed
    return report


def _calendar_rows(first_year: int, last_year: int):
    """(nation, day, is_working, ordinal) for every day of every nation, from core.calendar (GOV.UK's feed)."""
    first, last = dt.date(first_year, 1, 1), dt.date(last_year, 12, 31)
    for nation in Nation.values:
        ordinal, day = 0, first
        while day <= last:
            working = working_calendar.is_working_day(day, nation)
            ordinal += working
            yield nation, day, working, ordinal
            day += dt.timedelta(days=1)


def _fingerprint(rows) -> dict[str, tuple]:
    """Per nation: days, working days, first and last day, and the sum of the ordinals (which moves if any
    holiday moves)."""
    out: dict[str, list] = {}
    for nation, day, working, ordinal in rows:
        f = out.setdefault(nation, [0, 0, day, day, 0])
        f[0] += 1
        f[1] += bool(working)
        f[2], f[3] = min(f[2], day), max(f[3], day)
        f[4] += ordinal
    return {n: tuple(f) for n, f in out.items()}


def feed_last_year() -> int:
    return max(d.year for n in Nation.values for d in working_calendar.bank_holidays(n))


@lru_cache(maxsize=4)
def _wanted(first_year: int, last_year: int) -> tuple[tuple, dict]:
    rows = tuple(_calendar_rows(first_year, last_year))
    return rows, _fingerprint(rows)


def working_days_load(*, first_year: int = CALENDAR_FIRST_YEAR, last_year: int | None = None) -> tuple[int, bool]:
    """(Re)generate the working-day table for every nation from core.calendar (GOV.UK's feed).

    A table that is already right is left alone (checked by a fingerprint, not row by row), so re-running is
    cheap. Returns the number of days in the table and whether it changed.
    """
    last_year = last_year or feed_last_year()
    wanted, fingerprint = _wanted(first_year, last_year)
    with connection.cursor() as cursor:
        cursor.execute("SELECT nation, COUNT(*), SUM(CASE WHEN is_working THEN 1 ELSE 0 END), MIN(day), MAX(day), "
                       "SUM(ordinal) FROM sla_workingday GROUP BY nation")
        have = {n: (c, w, _as_date(lo), _as_date(hi), int(s)) for n, c, w, lo, hi, s in cursor.fetchall()}
        if have == fingerprint:
            return len(wanted), False
        with transaction.atomic():
            cursor.execute("DELETE FROM sla_workingday")
            cursor.executemany("INSERT INTO sla_workingday (nation, day, is_working, ordinal) VALUES (%s, %s, %s, %s)",
                               wanted)
    return len(wanted), True


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def ensure_working_days() -> None:
    """Generate the calendar table if it is missing or out of date (cheap when it is right)."""
    working_days_load()


# --- Reading the table: the arithmetic the measurements do in SQL, one question at a time -------------------

def table_working_days(nation: str, start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start): a subtraction of ordinals."""
    if end <= start:
        return 0
    ordinals = dict(WorkingDay.objects.filter(nation=nation, day__in=[start, end]).values_list("day", "ordinal"))
    return ordinals[end] - ordinals[start]


def table_add_working_days(nation: str, start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start`: the working day whose ordinal is start's plus `days`."""
    if days <= 0:
        return start
    ordinal = WorkingDay.objects.get(nation=nation, day=start).ordinal
    return WorkingDay.objects.get(nation=nation, ordinal=ordinal + days, is_working=True).day
