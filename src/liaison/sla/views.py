"""SLA pages and exports. Thin: they parse, call figures/services, and render.

Scope: an LA user sees its own LA's figures, items, targets and statement only (whatever the address asks for:
another LA's statement or item is a 404, with no hint it exists); DM users see every LA's, with filters by LA and
by responsible site. Time: `as_of` may be given (any past day); otherwise today in London.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from liaison.core.charts import percent_bar_chart
from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.partners.models import Organisation
from liaison.sla import exports, figures
from liaison.sla import statement as statements
from liaison.sla.measure import last_refresh
from liaison.sla.models import Breach, LocalTarget, Measurement, Standard
from liaison.sla.periods import (
    Period,
    parse_period,
    period_choices,
    sla_year,
    sla_year_label,
    sla_year_of,
)
from liaison.sla.quality import fault_counts, quality_log
from liaison.sla.services import (
    breach_reason_record,
    can_record_reason,
    local_target_end,
    local_target_record,
)

PAGE_SIZE = 50
DATE_PARTS = ("day", "month", "year")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- Who sees what ------------------------------------------------------------------------------------------

def sla_user_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        user = request.user
        if user.is_la_user and user.organisation_id:
            return view(request, *args, **kwargs)
        if user.is_dm_user:
            return view(request, *args, **kwargs)
        raise PermissionDenied("Only Local Authority and DWP Debt Management users can see SLA performance.")

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


class Scope:
    """The LA and site a request may see: an LA user's own LA, always; DM's choice of LA and site."""

    def __init__(self, request):
        user = request.user
        self.user = user
        self.la: Organisation | None = None
        self.site: Organisation | None = None
        self.site_code = ""
        if user.is_la_user:
            self.la = user.organisation
        else:
            code = (request.GET.get("la") or "").strip().upper()[:16]
            if code:
                self.la = Organisation.objects.filter(code=code, kind=Organisation.Kind.LOCAL_AUTHORITY).first()
            site_code = (request.GET.get("site") or "").strip().upper()[:20]
            if site_code:
                self.site = Organisation.objects.filter(code=site_code, kind=Organisation.Kind.DM_UNIT).first()
                self.site_code = self.site.code if self.site else ""

    @property
    def la_id(self):
        return self.la.pk if self.la else None

    @property
    def site_id(self):
        return self.site.pk if self.site else None

    @property
    def label(self) -> str:
        parts = [self.la.name if self.la else "all Local Authorities"]
        if self.site:
            parts.append(f"responsible unit {self.site.name}")
        return ", ".join(parts)

    def params(self) -> dict[str, str]:
        out = {}
        if not self.user.is_la_user:
            if self.la:
                out["la"] = self.la.code
            if self.site:
                out["site"] = self.site.code
        return out


def _as_of(request) -> dt.date:
    today = timezone.localdate()
    text = (request.GET.get("as_of") or "").strip()[:10]
    try:
        day = dt.date.fromisoformat(text) if text else today
    except ValueError:
        day = today
    return min(day, today)


def _period(request, as_of: dt.date) -> Period:
    return parse_period(request.GET.get("period"), today=as_of)


def _base_params(request, scope: Scope, period: Period, as_of: dt.date) -> dict[str, str]:
    params = {"period": period.key, **scope.params()}
    if as_of != timezone.localdate():
        params["as_of"] = as_of.isoformat()
    return params


def _url(name: str, params: dict) -> str:
    return reverse(name) + ("?" + urlencode(params) if params else "")


def _dm_choices():
    las = list(Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY, active=True)
               .order_by("name").values_list("code", "name"))
    sites = list(Organisation.objects.filter(kind=Organisation.Kind.DM_UNIT)
                 .exclude(unit=Organisation.Unit.DM_HQ).order_by("name").values_list("code", "name"))
    return las, sites


# --- The dashboard --------------------------------------------------------------------------------------------

@sla_user_required
def dashboard(request):
    as_of = _as_of(request)
    period = _period(request, as_of)
    scope = Scope(request)
    board = figures.dashboard(as_of=as_of, period=period, la_id=scope.la_id, site_id=scope.site_id)
    base = _base_params(request, scope, period, as_of)
    items_url = reverse("sla:items") + "?" + urlencode(base) + "&"
    rows, charts, month_rows = [], [], []
    targets = _targets_in_force(scope.la, period) if scope.la else {}
    year_label = sla_year_label(period.sla_year)
    for i, sf in enumerate(board.rows):
        s, f = sf.standard, sf.total
        link = f"{items_url}standard={s.code}&state="
        figures_ = [{"name": state, "value": getattr(f, state), "url": link + state,
                     "label": f"{figures.STATE_LABELS[state].lower()} for {s.code}"} for state in figures.STATES]
        rows.append({"standard": s, "figures": figures_, "national": figures.national_limit_text(s, min(period.end, as_of)),
                     "targets": targets.get(s.pk, []), "percent": _number(f.percent_met, "%"),
                     "median": _number(f.median), "p95": _number(f.p95)})
        points = [(f"{m:%b}", sf.by_month[m].percent_met if m in sf.by_month else None) for m in board.months]
        charts.append({"standard": s, "chart": percent_bar_chart(
            points, title=f"{s.code}: percentage met by month, SLA year {year_label}", chart_id=f"chart-{i}")})
        cells = []
        for m in board.months:
            mf = sf.by_month.get(m)
            cells.append({"text": _number(mf.percent_met, "%") or "–", "sub": f"{mf.met} of {mf.decided}",
                          "url": f"{link}measured&month={m:%Y-%m}", "label": f"for {s.code} in {m:%B %Y}"}
                         if mf else None)
        month_rows.append({"standard": s, "cells": cells})
    by_site = _by_site(board) if request.user.is_dm_user and not scope.site else None
    las, sites = _dm_choices() if request.user.is_dm_user else ([], [])
    return render(request, "sla/dashboard.html", {
        "board": board, "period": period, "as_of": as_of, "scope": scope, "rows": rows, "charts": charts,
        "month_rows": month_rows, "by_site": by_site, "las": las, "sites": sites,
        "periods": _choices(period_choices(today=as_of), period.key), "refresh": last_refresh(),
        "csv_url": _url("sla:dashboard_csv", base), "xlsx_url": _url("sla:dashboard_xlsx", base),
        "is_today": as_of == timezone.localdate(), "year_label": year_label,
    })


def _choices(groups, chosen: str):
    """The period picker's options with the chosen one marked (cheaper than comparing in the template)."""
    return [(group, [(key, label, key == chosen) for key, label in options]) for group, options in groups]


def _number(value, suffix: str = "") -> str:
    """A figure as shown: one decimal place where it has one ("4.5", "60.0%"), whole numbers as they are."""
    if value is None:
        return ""
    if suffix == "%":
        return f"{value:.1f}%"
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def _by_site(board: figures.Dashboard) -> dict:
    """% met per responsible DM unit and standard, for the DM dashboard."""
    site_ids = sorted({sid for sf in board.rows for sid in sf.by_site if sid is not None})
    names = dict(Organisation.objects.filter(pk__in=site_ids).values_list("id", "name"))
    standards = [sf for sf in board.rows if any(sid is not None for sid in sf.by_site)]
    table = []
    for sid in sorted(site_ids, key=lambda x: names.get(x, "")):
        table.append({"site": names.get(sid, "?"),
                      "cells": [sf.by_site.get(sid) for sf in standards]})
    return {"standards": [sf.standard for sf in standards], "rows": table}


def _targets_in_force(la: Organisation, period: Period) -> dict[int, list[LocalTarget]]:
    out: dict[int, list[LocalTarget]] = {}
    for t in LocalTarget.objects.filter(la=la, effective_from__lte=period.end).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=period.start)).order_by("effective_from"):
        out.setdefault(t.standard_id, []).append(t)
    return out


@sla_user_required
def dashboard_csv(request):
    as_of = _as_of(request)
    period = _period(request, as_of)
    scope = Scope(request)
    board = figures.dashboard(as_of=as_of, period=period, la_id=scope.la_id, site_id=scope.site_id)
    response = HttpResponse(exports.dashboard_csv(board, scope.label), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_export_name(scope, period, "csv")}"'
    return response


@sla_user_required
def dashboard_xlsx(request):
    as_of = _as_of(request)
    period = _period(request, as_of)
    scope = Scope(request)
    board = figures.dashboard(as_of=as_of, period=period, la_id=scope.la_id, site_id=scope.site_id)
    return FileResponse(io.BytesIO(exports.dashboard_xlsx(board, scope.label)), as_attachment=True,
                        filename=_export_name(scope, period, "xlsx"), content_type=XLSX)


def _export_name(scope: Scope, period: Period, extension: str) -> str:
    who = scope.la.code if scope.la else "all-las"
    if scope.site:
        who += f"-{scope.site.code.lower()}"
    return f"sla-{who}-{period.key}.{extension}"


# --- The items behind a figure --------------------------------------------------------------------------------

def _keyset(qs, request, size: int):
    """Pages of items ordered by (clock started, id): no OFFSET, stable while items are added."""
    after = request.GET.get("after", "")
    if after:
        try:
            day_text, pk_text = base64.urlsafe_b64decode(after.encode()).decode().split("|")
            day, pk = dt.date.fromisoformat(day_text), int(pk_text)
            qs = qs.filter(Q(start_on__gt=day) | Q(start_on=day, id__gt=pk))
        except (ValueError, UnicodeDecodeError):
            pass
    page = list(qs.order_by("start_on", "id")[: size + 1])
    params = request.GET.copy()
    params.pop("after", None)
    next_url = None
    if len(page) > size:
        page = page[:size]
        last = page[-1]
        params["after"] = base64.urlsafe_b64encode(f"{last.start_on.isoformat()}|{last.pk}".encode()).decode()
        next_url = "?" + params.urlencode()
        params.pop("after")
    first_url = ("?" + params.urlencode()) if after else None
    return page, next_url, first_url


def _items_query(request):
    as_of = _as_of(request)
    period = _period(request, as_of)
    scope = Scope(request)
    standard = Standard.objects.filter(code=(request.GET.get("standard") or "").strip()[:20]).first()
    if standard is None:
        raise Http404("No such standard")
    state = request.GET.get("state", "measured")
    if state not in figures.STATES:
        state = "measured"
    month = None
    month_text = (request.GET.get("month") or "").strip()[:7]
    if month_text:
        try:
            month = dt.date.fromisoformat(f"{month_text}-01")
        except ValueError:
            month = None
        if month is not None and not period.year().contains(month):
            month = None
    qs = figures.items(as_of=as_of, period=period, standard_id=standard.pk, state=state, month=month,
                       la_id=scope.la_id, site_id=scope.site_id)
    return as_of, period, scope, standard, state, month, qs


def _case_links(items: list[Measurement]) -> dict[int, str]:
    """Where each item's case (or remittance) is shown, read from the timeline: the referral's page for a case,
    the remittance's page for a month's payment."""
    links: dict[int, str] = {}
    case_ids = [m.case_id for m in items if m.case_id]
    if case_ids:
        for case_id, data in (Event.objects.filter(case_id__in=case_ids, kind="referral.received")
                              .values_list("case_id", "data")):
            if isinstance(data, dict) and data.get("referral_id"):
                links.setdefault(case_id, reverse("web:referral_detail", args=[data["referral_id"]]))
    month_items = [m for m in items if not m.case_id]
    if month_items:
        for event_id, data in Event.objects.filter(pk__in=[m.start_event_id for m in month_items]).values_list(
                "id", "data"):
            if isinstance(data, dict) and data.get("remittance_id"):
                try:
                    links[-event_id] = reverse("remittance:detail", args=[data["remittance_id"]])
                except NoReverseMatch:  # the remittance pages are not installed
                    continue
    return links


def _state_of(m: Measurement, as_of: dt.date, risk: dict[str, dt.date]) -> str:
    closed = m.stop_on is not None and m.stop_on <= as_of
    if closed:
        if m.failed or (m.due_on is not None and m.stop_on > m.due_on):
            return "breached"
        return "met"
    if m.due_on is not None and m.due_on < as_of:
        return "breached"
    if m.due_on is not None and m.due_on <= risk.get(m.calendar, as_of):
        return "at_risk"
    return "open"


@sla_user_required
def items(request):
    as_of, period, scope, standard, state, month, qs = _items_query(request)
    reason = Breach.objects.filter(standard_id=OuterRef("standard_id"), start_event_id=OuterRef("start_event_id"))
    qs = qs.select_related("la", "site", "standard").annotate(reason=Subquery(reason.values("reason")[:1]))
    page, next_url, first_url = _keyset(qs, request, PAGE_SIZE)
    links = _case_links(page)
    risk = figures.risk_dates(as_of)
    rows = []
    for m in page:
        item_state = _state_of(m, as_of, risk)
        rows.append({"m": m, "state": item_state,
                     "link": links.get(m.case_id) if m.case_id else links.get(-m.start_event_id),
                     "can_reason": item_state == "breached" and can_record_reason(request.user, m)})
    base = _base_params(request, scope, period, as_of)
    params = {**base, "standard": standard.code, "state": state, **({"month": f"{month:%Y-%m}"} if month else {})}
    back = _url("sla:dashboard", base)
    return render(request, "sla/items.html", {
        "standard": standard, "state": state, "state_label": figures.STATE_LABELS[state], "period": period,
        "month": month, "scope": scope, "as_of": as_of, "rows": rows, "next_url": next_url, "first_url": first_url,
        "csv_url": _url("sla:items_csv", params), "back_url": back,
    })


@sla_user_required
def items_csv(request):
    as_of, period, _scope, standard, state, month, qs = _items_query(request)
    risk = figures.risk_dates(as_of)

    def rows():
        for m in qs.select_related("la", "standard").order_by("start_on", "id").iterator(chunk_size=2000):
            yield exports.item_row(m, figures.STATE_LABELS[_state_of(m, as_of, risk)])

    response = StreamingHttpResponse(exports.items_csv(rows()), content_type="text/csv; charset=utf-8")
    name = f"sla-{standard.code}-{state}-{(f'{month:%Y-%m}' if month else period.key)}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _measurement_for(request, code: str, start_event_id: int) -> Measurement:
    m = (Measurement.objects.select_related("standard", "la", "site")
         .filter(standard__code=code, start_event_id=start_event_id).first())
    if m is None or (request.user.is_la_user and m.la_id != request.user.organisation_id):
        raise Http404("No such item")
    return m


@sla_user_required
@require_http_methods(["GET", "POST"])
def breach_reason(request, code, start_event_id):
    m = _measurement_for(request, code, start_event_id)
    if not can_record_reason(request.user, m):
        raise PermissionDenied("Only the responsible party records the reason for a breach.")
    breach = Breach.objects.filter(standard_id=m.standard_id, start_event_id=m.start_event_id).first()
    back = request.GET.get("next") or request.POST.get("next") or reverse("sla:queue")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("sla:queue")
    errors, text = {}, (breach.reason if breach else "")
    if request.method == "POST":
        text = request.POST.get("reason", "")
        try:
            breach_reason_record(measurement=m, reason=text, actor=request.user)
        except ApplicationError as exc:
            errors = exc.extra.get("faults") or {"reason": exc.message}
        else:
            messages.success(request, f"Reason recorded for the breach of {m.standard.code}.")
            return redirect(back)
    summary = [{"field": k, "message": v} for k, v in errors.items()]
    return render(request, "sla/breach_reason.html", {"m": m, "breach": breach, "reason": text, "errors": errors,
                                                      "error_summary": summary, "next": back})


# --- The teams' queues -------------------------------------------------------------------------------------

@sla_user_required
def queue(request):
    today = timezone.localdate()
    user = request.user
    teams = []
    if user.is_la_user:
        team = user.organisation
        lists = figures.queue(today=today, la_id=team.pk, responsible_la=True)
        la_dm = figures.queue(today=today, la_id=team.pk)
    else:
        teams = list(Organisation.objects.filter(kind=Organisation.Kind.DM_UNIT).exclude(unit=Organisation.Unit.DM_HQ)
                     .order_by("name"))
        code = (request.GET.get("team") or "").strip().upper()[:20]
        own = user.organisation if user.organisation and user.organisation.kind == Organisation.Kind.DM_UNIT else None
        team = next((t for t in teams if t.code == code), None) or (own if own in teams else None) or \
            next((t for t in teams if t.unit == Organisation.Unit.CC_PORTH), None)
        lists = figures.queue(today=today, site_id=team.pk if team else -1)
        la_dm = None
    shown = {name: list(qs[:200]) for name, qs in lists.items()}
    counts = {name: qs.count() for name, qs in lists.items()}
    reasons = {}
    keys = [(m.standard_id, m.start_event_id) for ms in shown.values() for m in ms]
    if keys:
        q = Q()
        for sid, eid in keys:
            q |= Q(standard_id=sid, start_event_id=eid)
        reasons = {(b.standard_id, b.start_event_id): b for b in Breach.objects.filter(q)}
    links = _case_links([m for ms in shown.values() for m in ms])
    sections = []
    for name, title in (("overdue", "Breached and still open"), ("at_risk", "At risk: due within 2 working days"),
                        ("late", "Breached in the last 30 days: stopped after the due date")):
        rows = [{"m": m, "breach": reasons.get((m.standard_id, m.start_event_id)),
                 "link": links.get(m.case_id) if m.case_id else links.get(-m.start_event_id),
                 "can_reason": name != "at_risk" and can_record_reason(user, m)} for m in shown[name]]
        sections.append({"name": name, "title": title, "rows": rows, "count": counts[name]})
    la_counts = {name: qs.count() for name, qs in la_dm.items()} if la_dm else None
    return render(request, "sla/queue.html", {"team": team, "teams": teams, "sections": sections, "today": today,
                                              "la_dm_counts": la_counts})


# --- The quality referral log ---------------------------------------------------------------------------------

@sla_user_required
def quality(request):
    as_of = _as_of(request)
    period = _period(request, as_of)
    scope = Scope(request)
    by_month = scope.la is not None
    rows = quality_log(start=period.start, end=period.end, as_of=as_of, la_id=scope.la_id, by_month=by_month)
    totals = {"received": sum(r.received for r in rows), "non_quality": sum(r.non_quality for r in rows)}
    totals["percent"] = round(100 * totals["non_quality"] / totals["received"], 1) if totals["received"] else None
    faults = fault_counts(la_id=scope.la_id, start=period.start, end=min(period.end, as_of))[:10]
    las, _ = _dm_choices() if request.user.is_dm_user else ([], [])
    return render(request, "sla/quality.html", {
        "period": period, "periods": _choices(period_choices(today=as_of), period.key), "scope": scope, "rows": rows,
        "by_month": by_month,
        "totals": totals, "faults": faults, "las": las, "as_of": as_of,
        "base": {"period": period.key, **({"as_of": as_of.isoformat()} if as_of != timezone.localdate() else {})},
    })


# --- The year-end statement -------------------------------------------------------------------------------

def _statement_la(request, code: str | None) -> Organisation | None:
    user = request.user
    if user.is_la_user:
        if code and code.upper() != user.organisation.code:
            raise Http404("No such statement")
        return user.organisation
    if not code:
        return None
    la = Organisation.objects.filter(code=code.upper()[:16], kind=Organisation.Kind.LOCAL_AUTHORITY).first()
    if la is None:
        raise Http404("No such Local Authority")
    return la


def _year(request, value, as_of: dt.date) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = sla_year_of(as_of)
        # Until the year is over, the statement people want is last year's.
        year -= 1 if as_of < sla_year(year).end else 0
    return year


@sla_user_required
def statement(request):
    as_of = _as_of(request)
    la = _statement_la(request, request.GET.get("la"))
    year = _year(request, request.GET.get("year"), as_of)
    las, _ = _dm_choices() if request.user.is_dm_user else ([], [])
    years = list(range(sla_year_of(as_of), sla_year_of(as_of) - 5, -1))
    s = statements.statement_data(la=la, year=year, as_of=as_of, breach_limit=50) if la else None
    params = {"year": str(year), **({"as_of": as_of.isoformat()} if as_of != timezone.localdate() else {})}
    return render(request, "sla/statement.html", {
        "s": s, "la": la, "year": year, "years": [(y, sla_year_label(y)) for y in years], "las": las,
        "as_of": as_of, "pdf_url": _url("sla:statement_pdf", {**params, "la": la.code}) if la else "",
        "xlsx_url": _url("sla:statement_xlsx", {**params, "la": la.code}) if la else "",
    })


def _statement_for_download(request, *, breach_limit: int | None = None,
                            explained_only: bool = False) -> statements.Statement:
    as_of = _as_of(request)
    la = _statement_la(request, request.GET.get("la"))
    if la is None:
        raise Http404("Choose a Local Authority")
    return statements.statement_data(la=la, year=_year(request, request.GET.get("year"), as_of), as_of=as_of,
                                     breach_limit=breach_limit, explained_only=explained_only)


@sla_user_required
def statement_pdf(request):
    s = _statement_for_download(request, breach_limit=statements.PDF_BREACH_LINES, explained_only=True)
    return FileResponse(io.BytesIO(statements.statement_pdf(s)), as_attachment=True,
                        filename=statements.filename(s, "pdf"), content_type="application/pdf")


@sla_user_required
def statement_xlsx(request):
    s = _statement_for_download(request)
    return FileResponse(io.BytesIO(statements.statement_xlsx(s)), as_attachment=True,
                        filename=statements.filename(s, "xlsx"), content_type=XLSX)


# --- Local targets and the standards --------------------------------------------------------------------------

@sla_user_required
def targets(request):
    user = request.user
    qs = LocalTarget.objects.select_related("standard", "la", "recorded_by").order_by("la__name", "standard__position",
                                                                                       "-effective_from")
    if user.is_la_user:
        qs = qs.filter(la_id=user.organisation_id)
    return render(request, "sla/targets.html", {"targets": qs[:1000], "can_manage": user.has_perm("sla.manage_targets"),
                                                "today": timezone.localdate()})


def _date_from(post, name) -> dt.date | None:
    try:
        return dt.date(int(post.get(f"{name}-year", "")), int(post.get(f"{name}-month", "")),
                       int(post.get(f"{name}-day", "")))
    except (TypeError, ValueError):
        return None


def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


@sla_user_required
@require_http_methods(["GET", "POST"])
def target_new(request):
    if not request.user.has_perm("sla.manage_targets"):
        raise PermissionDenied("Only SLA liaison officers record local targets.")
    standards = [s for s in Standard.objects.filter(active=True).prefetch_related("provisions").order_by("position")
                 if s.takes_local_targets]
    las, _ = _dm_choices()
    data, errors = request.POST if request.method == "POST" else {}, {}
    if request.method == "POST":
        standard = next((s for s in standards if s.code == data.get("standard")), None)
        la = Organisation.objects.filter(code=(data.get("la") or "").upper()[:16],
                                         kind=Organisation.Kind.LOCAL_AUTHORITY).first()
        if standard is None:
            errors["standard"] = "Select the standard"
        if la is None:
            errors["la"] = "Select the Local Authority"
        if not errors:
            try:
                local_target_record(standard=standard, la=la, limit=_int(data.get("limit")),
                                    effective_from=_date_from(data, "effective_from"),
                                    effective_to=_date_from(data, "effective_to"),
                                    agreed_on=_date_from(data, "agreed_on"), la_contact=data.get("la_contact", ""),
                                    reference=data.get("reference", ""), actor=request.user)
            except ApplicationError as exc:
                errors = exc.extra.get("faults") or {"limit": exc.message}
            else:
                messages.success(request, f"Local target for {standard.code} recorded for {la.name}.")
                return redirect("sla:targets")
    summary = [{"field": k, "message": v} for k, v in errors.items()]
    national = {s.code: figures.national_limit_text(s, timezone.localdate()) for s in standards}
    return render(request, "sla/target_form.html", {"standards": standards, "las": las, "data": data,
                                                    "errors": errors, "error_summary": summary, "national": national,
                                                    "date_parts": DATE_PARTS})


@sla_user_required
@require_http_methods(["GET", "POST"])
def target_end(request, pk):
    if not request.user.has_perm("sla.manage_targets"):
        raise PermissionDenied("Only SLA liaison officers end local targets.")
    target = LocalTarget.objects.select_related("standard", "la").filter(pk=pk).first()
    if target is None:
        raise Http404("No such local target")
    errors = {}
    if request.method == "POST":
        try:
            local_target_end(target=target, last_day=_date_from(request.POST, "last_day"), actor=request.user)
        except ApplicationError as exc:
            errors = exc.extra.get("faults") or {"last_day": exc.message}
        else:
            messages.success(request, f"The local target for {target.standard.code} at {target.la.name} is ended.")
            return redirect("sla:targets")
    summary = [{"field": k, "message": v} for k, v in errors.items()]
    return render(request, "sla/target_end.html", {"target": target, "data": request.POST, "errors": errors,
                                                   "error_summary": summary, "date_parts": DATE_PARTS})


@sla_user_required
def standards(request):
    qs = Standard.objects.prefetch_related("provisions").order_by("position")
    return render(request, "sla/standards.html", {"standards": qs})
