"""Reading the measurements: dashboard figures, the items behind a figure, the teams' queues.

Whether an item is met, breached, open or at risk depends on the day asked (`as_of`), so it is worked out here
from its dates, in SQL, with one set of conditions (`state_q`) for the figures and the lists behind them: a figure
and its drill-down always agree.

  measured   every item whose clock started in the period (up to `as_of`)
  met        stopped by `as_of`, on or before its due date (for a share: passed)
  breached   stopped after its due date (for a share: did not pass), or still open after its due date
  open       not stopped by `as_of` and not yet past its due date
  at risk    open, and due within 2 working days of `as_of` (on the clock's own calendar)
  % met      met / (met + breached): of the items decided, the share that met the standard
  median, 95th percentile: working days taken by the items stopped by `as_of`

Percentiles are computed exactly from a histogram of working days (they are small integers) grouped in SQL, with
the interpolation of PostgreSQL's percentile_cont: the same code on PostgreSQL and SQLite, and the DM dashboard
reads one grouped result instead of sorting every item.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, When

from liaison.core.calendar import add_working_days
from liaison.partners.models import Nation
from liaison.sla.models import Measurement, Standard, Summary
from liaison.sla.periods import Period, month_end

AT_RISK_WORKING_DAYS = 2
STATES = ("measured", "met", "breached", "open", "at_risk")
STATE_LABELS = {"measured": "Measured", "met": "Met", "breached": "Breached", "open": "Still open",
                "at_risk": "At risk"}


def risk_dates(as_of: dt.date) -> dict[str, dt.date]:
    """For each nation: the last due date that is 'at risk' on `as_of` (within 2 working days)."""
    return {n: add_working_days(as_of, AT_RISK_WORKING_DAYS, n) for n in Nation.values}


def _closed(as_of: dt.date) -> Q:
    return Q(stop_on__isnull=False, stop_on__lte=as_of)


def _not_closed(as_of: dt.date) -> Q:
    return Q(stop_on__isnull=True) | Q(stop_on__gt=as_of)


def state_q(state: str, as_of: dt.date) -> Q:
    """The condition for an item to be in `state` on `as_of`."""
    closed, not_closed = _closed(as_of), _not_closed(as_of)
    if state == "measured":
        return Q()
    if state == "met":
        return closed & Q(failed=False) & (Q(due_on__isnull=True) | Q(stop_on__lte=F("due_on")))
    if state == "breached":
        return (closed & (Q(failed=True) | Q(stop_on__gt=F("due_on")))) | (not_closed & Q(due_on__lt=as_of))
    if state == "open":
        return not_closed & (Q(due_on__isnull=True) | Q(due_on__gte=as_of))
    if state == "at_risk":
        near = Q()
        for nation, last in risk_dates(as_of).items():
            near |= Q(calendar=nation, due_on__lte=last)
        return not_closed & Q(due_on__gte=as_of) & near
    raise ValueError(state)


def measurements(*, as_of: dt.date, start: dt.date, end: dt.date, la_id: int | None = None,
                 site_id: int | None = None, standard_id: int | None = None) -> QuerySet:
    """Items whose clock started in the months from `start` to `end` (whole months), and by `as_of`."""
    qs = Measurement.objects.filter(month__gte=start, month__lte=end, start_on__lte=as_of)
    if la_id is not None:
        qs = qs.filter(la_id=la_id)
    if site_id is not None:
        qs = qs.filter(site_id=site_id)
    if standard_id is not None:
        qs = qs.filter(standard_id=standard_id)
    return qs


# --- Percentiles ----------------------------------------------------------------------------------------------

def percentile(histogram: dict[int, int], p: float) -> float | None:
    """PostgreSQL's percentile_cont(p) over the values a histogram {value: count} describes: the value at
    position p × (n − 1) of the sorted values, interpolated between its neighbours."""
    n = sum(histogram.values())
    if n == 0:
        return None
    position = p * (n - 1)
    lo, hi = math.floor(position), math.ceil(position)
    lo_value = hi_value = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if lo_value is None and seen > lo:
            lo_value = value
        if seen > hi:
            hi_value = value
            break
    return lo_value + (hi_value - lo_value) * (position - lo)


# --- Figures -----------------------------------------------------------------------------------------------------

@dataclass
class Figures:
    measured: int = 0
    met: int = 0
    breached: int = 0
    open: int = 0
    at_risk: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    def add(self, row: dict) -> None:
        for name in STATES:
            setattr(self, name, getattr(self, name) + row[name])
        if row["wd"] is not None:  # a group of items stopped by as_of, each taking `wd` working days
            self.histogram[row["wd"]] = self.histogram.get(row["wd"], 0) + row["measured"]

    @property
    def decided(self) -> int:
        return self.met + self.breached

    @property
    def percent_met(self) -> float | None:
        return round(100 * self.met / self.decided, 1) if self.decided else None

    @property
    def median(self) -> float | None:
        return percentile(self.histogram, 0.5)

    @property
    def p95(self) -> float | None:
        return percentile(self.histogram, 0.95)


@dataclass
class StandardFigures:
    standard: Standard
    total: Figures
    by_month: dict[dt.date, Figures]
    by_site: dict[int | None, Figures]


@dataclass
class Dashboard:
    period: Period
    as_of: dt.date
    rows: list[StandardFigures]
    months: list[dt.date]


def _grouped(qs: QuerySet, as_of: dt.date) -> list[dict]:
    closed = _closed(as_of)
    return list(
        qs.annotate(wd=Case(When(closed, then=F("working_days")), default=None, output_field=IntegerField()))
        .values("standard_id", "month", "site_id", "wd")
        .annotate(measured=Count("id"),
                  met=Count("id", filter=state_q("met", as_of)),
                  breached=Count("id", filter=state_q("breached", as_of)),
                  open=Count("id", filter=state_q("open", as_of)),
                  at_risk=Count("id", filter=state_q("at_risk", as_of)))
        .order_by())


@contextmanager
def _quick_queries():
    """PostgreSQL compiles (JIT) any query it thinks costly, which costs more than it saves for these sub-second
    reads; it is switched off for them only (SET LOCAL, in a transaction of their own)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def _summarised(*, as_of: dt.date, start: dt.date, end: dt.date, la_id: int | None,
                site_id: int | None) -> tuple[list[dict], Q]:
    """The items stopped before the month of `as_of`, from the summary (met or breached, whatever day in that month
    is asked about), and the condition for the rest, which are read item by item."""
    this_month = as_of.replace(day=1)
    qs = Summary.objects.filter(la_id=la_id or 0, month__gte=start, month__lte=end, stop_month__lt=this_month)
    if site_id is not None:
        qs = qs.filter(site_key=site_id)
    rows = [{"standard_id": r["standard_id"], "month": r["month"], "site_id": r["site_key"] or None,
             "wd": None if r["days"] < 0 else r["days"],
             "measured": r["n"], "met": r["m"], "breached": r["n"] - r["m"], "open": 0, "at_risk": 0}
            for r in qs.values("standard_id", "month", "site_key", "days").annotate(n=Sum("items"), m=Sum("met"))
            .order_by()]
    return rows, Q(stop_on__isnull=True) | Q(stop_on__gte=this_month)


def dashboard(*, as_of: dt.date, period: Period, la_id: int | None = None, site_id: int | None = None,
              use_summary: bool = True) -> Dashboard:
    """Every standard's figures for `period`, and month by month for the SLA year it is in (for the chart): the
    summary for what stopped before this month, the items themselves for the rest (two grouped queries).
    `use_summary=False` reads every item (the same figures, slower: the tests compare the two)."""
    year = period.year()
    with _quick_queries():
        if use_summary:
            rows, rest = _summarised(as_of=as_of, start=year.start, end=year.end, la_id=la_id, site_id=site_id)
        else:
            rows, rest = [], Q()
        rows += _grouped(measurements(as_of=as_of, start=year.start, end=year.end, la_id=la_id, site_id=site_id)
                         .filter(rest), as_of)
    standards = list(Standard.objects.filter(active=True).prefetch_related("provisions").order_by("position"))
    out = {s.pk: StandardFigures(s, Figures(), defaultdict(Figures), defaultdict(Figures)) for s in standards}
    for row in rows:
        sf = out.get(row["standard_id"])
        if sf is None:
            continue
        sf.by_month[row["month"]].add(row)
        if period.start <= row["month"] <= period.end:
            sf.total.add(row)
            sf.by_site[row["site_id"]].add(row)
    months = [m for m in year.months if m <= as_of]
    return Dashboard(period=period, as_of=as_of, rows=list(out.values()), months=months)


def national_limit_text(standard: Standard, on: dt.date) -> str:
    """The national standard in force on a day, in words."""
    if standard.unit == Standard.Unit.END_OF_NEXT_MONTH:
        return "By the end of the next month"
    limits = [p.limit for p in standard.provisions.all()
              if p.limit is not None and p.effective_from <= on and (p.effective_to is None or p.effective_to >= on)]
    if standard.unit == Standard.Unit.SHARE:
        return f"At least {max(limits)}% pass" if limits else "Logged (no national minimum)"
    return f"{min(limits)} working days" if limits else "No limit in force"


def limit_text(standard: Standard, limit: int | None) -> str:
    if limit is None:
        return national_limit_text(standard, dt.date.max) if standard.unit != Standard.Unit.WORKING_DAYS else ""
    return f"at least {limit}% pass" if standard.unit == Standard.Unit.SHARE else f"{limit} working days"


# --- The items behind a figure, and the queues ----------------------------------------------------------------

def items(*, as_of: dt.date, period: Period, standard_id: int, state: str, month: dt.date | None = None,
          la_id: int | None = None, site_id: int | None = None) -> QuerySet:
    start, end = (month, month_end(month)) if month is not None else (period.start, period.end)
    qs = measurements(as_of=as_of, start=start, end=end, la_id=la_id, site_id=site_id, standard_id=standard_id)
    return qs.filter(state_q(state, as_of))


def queue(*, today: dt.date, site_id: int | None = None, la_id: int | None = None, responsible_la: bool = False,
          recent_days: int = 30) -> dict[str, QuerySet]:
    """A team's lists on `today`: overdue (breached, still open), at risk, and breached lately (stopped late in
    the last `recent_days` days)."""
    base = Measurement.objects.select_related("standard", "la", "site")
    if site_id is not None:
        base = base.filter(site_id=site_id)
    if la_id is not None:
        base = base.filter(la_id=la_id)
    if responsible_la:
        base = base.filter(site_id__isnull=True)
    open_ = base.filter(stop_on__isnull=True, start_on__lte=today)
    near = Q()
    for nation, last in risk_dates(today).items():
        near |= Q(calendar=nation, due_on__lte=last)
    return {
        "overdue": open_.filter(due_on__lt=today).order_by("due_on", "id"),
        "at_risk": open_.filter(near, due_on__gte=today).order_by("due_on", "id"),
        "late": base.filter(stop_on__gte=today - dt.timedelta(days=recent_days), stop_on__lte=today,
                            stop_on__gt=F("due_on")).order_by("-stop_on", "id"),
    }
