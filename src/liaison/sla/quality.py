"""The quality referral log (SLA Appendix 1 row 2, Appendix 2): referrals returned as non-quality, per LA per
month, with the faults most often found. Counts come from the REF-QUALITY measurements; the faults from the
timeline (each `referral.returned` event of a non-quality referral lists every fault found)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from liaison.core.models import Event
from liaison.partners.models import Organisation
from liaison.sla.measure import cutoff_for
from liaison.sla.models import Measurement, Standard

QUALITY = "REF-QUALITY"
NON_QUALITY = "RETURNED_NON_QUALITY"


@dataclass
class LogRow:
    la: Organisation
    month: dt.date | None
    received: int = 0
    non_quality: int = 0
    faults: Counter = field(default_factory=Counter)

    @property
    def percent_non_quality(self) -> float | None:
        return round(100 * self.non_quality / self.received, 1) if self.received else None

    @property
    def top_faults(self) -> list[tuple[str, int]]:
        return self.faults.most_common(3)


def _fault_events(*, la_id: int | None, start: dt.date, end: dt.date):
    start_at = cutoff_for(start - dt.timedelta(days=1))
    qs = Event.objects.filter(kind="referral.returned", occurred_at__gte=start_at, occurred_at__lt=cutoff_for(end),
                              data__status=NON_QUALITY)
    if la_id is not None:
        qs = qs.filter(la_id=la_id)
    return qs


def _labels(faults) -> set[str]:
    """The distinct faults of one referral (a referral with two faults on one field counts once for it)."""
    out = set()
    for fault in faults or []:
        if isinstance(fault, dict):
            out.add(str(fault.get("label") or fault.get("field") or "Other")[:100])
    return out


def fault_counts(*, la_id: int | None, start: dt.date, end: dt.date) -> list[tuple[str, int]]:
    """The faults most often found, with how many non-quality referrals had each."""
    counts: Counter = Counter()
    for faults in _fault_events(la_id=la_id, start=start, end=end).values_list("data__faults", flat=True):
        counts.update(_labels(faults))
    return counts.most_common()


def quality_log(*, start: dt.date, end: dt.date, as_of: dt.date, la_id: int | None = None,
                by_month: bool = True) -> list[LogRow]:
    """Rows per LA (and month, when `by_month`) with referrals received in the period, newest month first."""
    standard = Standard.objects.filter(code=QUALITY).first()
    if standard is None:
        return []
    qs = Measurement.objects.filter(standard=standard, month__gte=start, month__lte=end, start_on__lte=as_of)
    if la_id is not None:
        qs = qs.filter(la_id=la_id)
    keys = ["la_id", "month"] if by_month else ["la_id"]
    grouped = qs.values(*keys).annotate(received=Count("id"), non_quality=Count("id", filter=Q(failed=True)))
    las = {o.pk: o for o in Organisation.objects.filter(pk__in={g["la_id"] for g in grouped})}
    rows: dict[tuple, LogRow] = {}
    for g in grouped:
        key = (g["la_id"], g.get("month"))
        rows[key] = LogRow(la=las[g["la_id"]], month=g.get("month"), received=g["received"],
                           non_quality=g["non_quality"])
    fault_rows: dict[tuple, Counter] = defaultdict(Counter)
    for la, occurred, faults in _fault_events(la_id=la_id, start=start, end=min(end, as_of)).values_list(
            "la_id", "occurred_at", "data__faults"):
        month = timezone.localdate(occurred).replace(day=1) if by_month else None
        fault_rows[(la, month)].update(_labels(faults))
    for key, counter in fault_rows.items():
        if key in rows:
            rows[key].faults = counter
    return sorted(rows.values(), key=lambda r: (r.la.name, -(r.month.toordinal() if r.month else 0)))
