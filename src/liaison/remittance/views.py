"""Remittance pages and schedule downloads. Thin: they parse, call a selector or service, and render.

An LA user sees its own LA's remittances only (anything else is a 404, with no hint whether it exists); DM users
see every LA's. Only FCG finance officers (and administrators) mark a remittance as paid.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from liaison.core import timeline
from liaison.core.errors import ApplicationError
from liaison.partners.models import Organisation
from liaison.remittance import events, schedules, selectors
from liaison.remittance.forms import DATE_PARTS, date_from_parts
from liaison.remittance.models import Remittance
from liaison.remittance.services import remittance_mark_paid

LIST_PAGE_SIZE = 50
LINES_PAGE_SIZE = 200


def _month_value(value: str):
    """'2025-06' -> date(2025, 6, 1), or None."""
    import datetime as dt

    try:
        return dt.date.fromisoformat(f"{value.strip()[:7]}-01")
    except ValueError:
        return None


@login_required
def remittance_list(request):
    user = request.user
    scoped = selectors.remittances_for(user)
    qs = scoped.select_related("la")
    filters = {"month": (request.GET.get("month") or "").strip()[:7],
               "status": request.GET.get("status", ""), "la": (request.GET.get("la") or "").strip()[:16]}
    month = _month_value(filters["month"]) if filters["month"] else None
    if month:
        qs = qs.filter(month=month)
    if filters["status"] in Remittance.Status.values:
        qs = qs.filter(status=filters["status"])
    las = []
    if user.is_dm_user:
        if filters["la"]:
            qs = qs.filter(la__code=filters["la"].upper())
        las = Organisation.objects.filter(pk__in=scoped.values("la_id")).order_by("name").values_list("code", "name")
    page = Paginator(qs.order_by("-month", "la__name", "id"), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    page.object_list = list(page.object_list)
    for r in page.object_list:
        r.overdue = r.is_overdue(today)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "remittance/list.html", {
        "page": page, "filters": filters, "months": selectors.remittance_months(scoped), "las": las,
        "statuses": Remittance.Status.choices, "query": params.urlencode()})


def _record_view(request, remittance: Remittance, what: str) -> None:
    # The schedule carries names and NINOs: every view is recorded (DOMAIN D5).
    timeline.record(case=None, la=remittance.la, kind=events.SCHEDULE_VIEWED, occurred_at=timezone.now(),
                    actor=request.user, summary=f"Remittance {remittance.reference} for {remittance.month:%B %Y} "
                                                f"{what} by {request.user.display_name}",
                    data={"remittance_id": remittance.pk, "format": what})


@login_required
def remittance_detail(request, pk):
    remittance = selectors.remittance_for(request.user, pk)
    page = Paginator(selectors.schedule_rows(remittance), LINES_PAGE_SIZE).get_page(request.GET.get("page"))
    lines = [selectors.line_from_row(row) for row in page.object_list]
    _record_view(request, remittance, "viewed")
    return render(request, "remittance/detail.html", {
        "r": remittance, "page": page, "lines": lines, "overdue": remittance.is_overdue(timezone.localdate()),
        "can_mark_paid": request.user.has_perm("remittance.mark_paid") and not remittance.is_paid})


@login_required
def remittance_csv(request, pk):
    remittance = selectors.remittance_for(request.user, pk)
    _record_view(request, remittance, "downloaded as CSV")
    response = StreamingHttpResponse(schedules.schedule_csv(remittance), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{schedules.filename(remittance, "csv")}"'
    return response


@login_required
def remittance_xlsx(request, pk):
    remittance = selectors.remittance_for(request.user, pk)
    data = schedules.schedule_xlsx(remittance)
    _record_view(request, remittance, "downloaded as Excel")
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=schedules.filename(remittance, "xlsx"),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@login_required
def remittance_pdf(request, pk):
    remittance = selectors.remittance_for(request.user, pk)
    data = schedules.schedule_pdf_kept(remittance)
    _record_view(request, remittance, "downloaded as PDF")
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=schedules.filename(remittance, "pdf"),
                        content_type="application/pdf")


@login_required
@require_http_methods(["GET", "POST"])
def remittance_mark_paid_view(request, pk):
    remittance = selectors.remittance_for(request.user, pk)  # 404 before 403: no hint another LA's exists
    if not request.user.has_perm("remittance.mark_paid"):
        raise PermissionDenied("Only FCG finance officers can mark a remittance as paid.")
    if remittance.is_paid:
        messages.info(request, f"This remittance was already marked as paid on {remittance.paid_on:%d %B %Y}.")
        return redirect("remittance:detail", pk=remittance.pk)
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        paid_on, date_fault = date_from_parts(request.POST, "paid_on")
        try:
            remittance_mark_paid(remittance=remittance, payment_reference=request.POST.get("payment_reference", ""),
                                 paid_on=paid_on, actor=request.user)
        except ApplicationError as exc:
            errors = dict(exc.extra.get("faults") or {"payment_reference": exc.message})
            if date_fault:
                errors["paid_on"] = date_fault
        else:
            messages.success(request, f"Remittance to {remittance.la.name} for {remittance.month:%B %Y} marked as "
                                      f"paid.")
            return redirect("remittance:detail", pk=remittance.pk)
    # The summary links to the first box of the date ("paid_on-day"), as GOV.UK's date input pattern asks.
    summary = [{"field": f"{k}-day" if k == "paid_on" else k, "message": v} for k, v in errors.items()]
    return render(request, "remittance/mark_paid.html", {"r": remittance, "errors": errors, "error_summary": summary,
                                                         "data": data, "date_parts": DATE_PARTS})
