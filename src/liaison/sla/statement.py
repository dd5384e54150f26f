"""The year-end statement of performance for an LA and an SLA year (SLA Appendix 2, A10.13): every standard's
figures, the local targets that applied, the breaches and their reasons, and the quality referral log. As a PDF
to bring to the annual joint review, and as Excel."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.template.loader import render_to_string

from liaison.partners.models import Organisation
from liaison.sla import exports
from liaison.sla.figures import Dashboard, dashboard, national_limit_text, state_q
from liaison.sla.models import Breach, LocalTarget, Measurement, Standard
from liaison.sla.periods import Period, sla_year, sla_year_label
from liaison.sla.quality import fault_counts

PDF_BREACH_LINES = 60
NO_REASON = "No reason recorded"


@dataclass
class StandardBreaches:
    standard: Standard
    count: int = 0
    reasons: Counter = field(default_factory=Counter)

    @property
    def reason_list(self) -> list[tuple[str, int]]:
        """Most frequent first (a template cannot call Counter.most_common: a Counter answers 0 to any key)."""
        return self.reasons.most_common()


@dataclass
class Statement:
    la: Organisation
    period: Period
    as_of: dt.date
    board: Dashboard
    national: dict[int, str]
    targets: list[LocalTarget]
    breaches: list[Measurement]
    breach_total: int
    by_standard: list[StandardBreaches]
    faults: list[tuple[str, int]]

    @property
    def year_label(self) -> str:
        return sla_year_label(self.period.sla_year)

    @property
    def complete(self) -> bool:
        return self.as_of >= self.period.end


def _breaches(la: Organisation, period: Period, as_of: dt.date):
    reason = Breach.objects.filter(standard_id=OuterRef("standard_id"), start_event_id=OuterRef("start_event_id"))
    return (Measurement.objects.filter(la=la, month__gte=period.start, month__lte=period.end, start_on__lte=as_of)
            .filter(state_q("breached", as_of))
            .annotate(reason=Subquery(reason.values("reason")[:1]))
            .select_related("standard", "la", "site").order_by("standard__position", "start_on", "id"))


def statement_data(*, la: Organisation, year: int, as_of: dt.date, breach_limit: int | None = None,
                   explained_only: bool = False) -> Statement:
    """Everything the statement shows. `breaches` lists every breach (Excel), or with `explained_only` those with a
    recorded reason (the PDF: the unexplained are counted in the reasons table), up to `breach_limit`."""
    period = sla_year(year)
    board = dashboard(as_of=as_of, period=period, la_id=la.pk)
    standards = [sf.standard for sf in board.rows]
    targets = list(LocalTarget.objects.filter(la=la, effective_from__lte=period.end)
                   .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=period.start))
                   .select_related("standard", "recorded_by").order_by("standard__position", "effective_from"))
    by_standard = {s.pk: StandardBreaches(s) for s in standards}
    qs = _breaches(la, period, as_of)
    # The reasons summary is grouped in SQL; the lines themselves are read only as far as they are shown.
    for standard_id, reason, n in _reason_counts(qs):
        if standard_id in by_standard:
            by_standard[standard_id].count += n
            by_standard[standard_id].reasons[reason or NO_REASON] += n
    if explained_only:
        lines = list(qs.exclude(reason__isnull=True).exclude(reason="")[:breach_limit])
    else:
        lines = list(qs[:breach_limit] if breach_limit is not None else qs)
    return Statement(la=la, period=period, as_of=as_of, board=board,
                     national={s.pk: national_limit_text(s, min(period.end, as_of)) for s in standards},
                     targets=targets, breaches=lines, breach_total=sum(b.count for b in by_standard.values()),
                     by_standard=[b for b in by_standard.values() if b.count],
                     faults=fault_counts(la_id=la.pk, start=period.start, end=min(period.end, as_of))[:10])


def _reason_counts(qs):
    from django.db.models import Count

    return qs.order_by().values_list("standard_id", "reason").annotate(n=Count("id"))


# --- PDF ---------------------------------------------------------------------------------------------------------

def statement_pdf(statement: Statement) -> bytes:
    from weasyprint import HTML

    html = render_to_string("sla/statement_pdf.html", {"s": statement, "line_limit": PDF_BREACH_LINES})
    return HTML(string=html, base_url=str(settings.PACKAGE_DIR)).write_pdf()


def filename(statement: Statement, extension: str) -> str:
    return f"sla-statement-{statement.la.code}-{statement.period.sla_year}-{statement.period.sla_year + 1}.{extension}"


# --- Excel -------------------------------------------------------------------------------------------------------

def statement_xlsx(statement: Statement) -> bytes:
    s = statement
    summary = [
        [f"Year-end statement of performance: {s.la.name} ({s.la.code})"],
        [f"SLA year {s.year_label}: 1 April {s.period.start.year} to 31 March {s.period.end.year}"],
        [f"Figures as of {s.as_of:%d %B %Y}" + ("" if s.complete else " (the year is not over yet)")],
        [],
        ["Standard", "Title", "National standard", "Measured", "Met", "Breached", "Still open", "At risk", "% met",
         "Median working days", "95th percentile working days"],
    ]
    for sf in s.board.rows:
        f = sf.total
        summary.append([sf.standard.code, sf.standard.title, s.national[sf.standard.pk], f.measured, f.met,
                        f.breached, f.open, f.at_risk, f.percent_met, f.median, f.p95])
    targets = [[t.standard.code, t.limit, t.effective_from, t.effective_to, t.agreed_on, exports.safe_text(t.la_contact),
                exports.safe_text(t.reference), t.recorded_by.display_name] for t in s.targets]
    reasons = [[b.standard.code, exports.safe_text(reason), n] for b in s.by_standard
               for reason, n in b.reasons.most_common()]
    breaches = [[m.standard.code, m.case_reference or f"{m.month:%B %Y}", m.start_on, m.due_on, m.stop_on,
                 m.working_days, m.limit, "yes" if m.local_target else "no", exports.safe_text(m.reason or "")]
                for m in s.breaches]
    return exports.workbook([
        ("Summary", None, summary),
        ("By month", exports.MONTH_HEADER, exports.month_rows(s.board)),
        ("Local targets", ["Standard", "Target", "From", "To", "Agreed on", "Agreed for the LA by", "Documented in",
                           "Recorded by"], targets),
        ("Breach reasons", ["Standard", "Reason", "Breaches"], reasons),
        ("Breaches", ["Standard", "Case or month", "Clock started", "Due", "Clock stopped", "Working days", "Limit",
                      "Local target", "Reason"], breaches),
        ("Quality faults", ["Fault", "Referrals returned with it"], [[exports.safe_text(k), n] for k, n in s.faults]),
    ])
