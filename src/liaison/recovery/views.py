"""Debt pages: the account, and DM's actions on it (hardship, suspension, stopping recovery, reversals)."""

from __future__ import annotations

import datetime as dt
from html import escape  # Django's escape() without its lazy-text wrapper (called for every ledger cell)

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from liaison.benefits.models import Benefit
from liaison.core import events as core_events
from liaison.core import timeline
from liaison.core.charts import balance_step_chart
from liaison.core.errors import ApplicationError
from liaison.core.money import MoneyError, format_pence, parse_pounds
from liaison.partners.models import Organisation
from liaison.recovery import selectors
from liaison.recovery.ledger import (
    SuspensionScope, debt_stop, deduction_reverse, hardship_decide, hardship_record, suspension_create,
    suspension_lift,
)
from liaison.recovery.models import Debt, HardshipApplication, LedgerEntry, Suspension
from liaison.web.pagination import keyset_page


def _render(request, template, context):
    return render(request, template, {"date_parts": ("day", "month", "year"), **context})


def _require(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _date(post, name) -> dt.date | None:
    parts = [(post.get(f"{name}-{p}") or "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        raise ApplicationError("", extra={"faults": {name: "Enter a real date, like 27 3 2025"}}) from None


def _errors(exc: ApplicationError) -> tuple[dict, list]:
    faults = exc.extra.get("faults") or {"__all__": exc.message}
    return faults, [{"field": k if k != "__all__" else "main-content", "message": v} for k, v in faults.items()]


@login_required
def debt_list(request):
    qs = selectors.debts_for(request.user).select_related("la")
    status = request.GET.get("status", "")
    if status in Debt.Status.values:
        qs = qs.filter(status=status)
    q = (request.GET.get("q") or "").strip()[:40]
    if q:
        qs = qs.filter(la_reference=q) | qs.filter(nino=q.replace(" ", "").upper())
    page = keyset_page(qs, request, order=("-loaded_at", "-id"), size=50)
    return _render(request, "recovery/debt_list.html", {"page": page, "status": status, "q": q,
                                                       "statuses": Debt.Status.choices})


@login_required
def debt_detail(request, pk):
    debt = selectors.debt_for(request.user, pk)
    now = timezone.now()
    timeline.record(case=debt.case, kind=core_events.CASE_VIEWED, occurred_at=now, actor=request.user,
                    summary=f"Debt account viewed by {request.user.display_name}", data={"debt_id": debt.pk})
    lines = selectors.account_lines(debt)
    points = [(debt.recovery_start_date if not lines else min(debt.recovery_start_date, lines[0].entry.effective_date),
               debt.original_balance_pence)]
    points += [(line.entry.effective_date, line.balance_pence) for line in lines]
    chart = balance_step_chart(points, title=f"Balance of debt {debt.reference} over time")
    user = request.user
    context = {
        "debt": debt, "lines": lines, "chart": chart,
        "ledger_rows": _ledger_rows(lines, can_reverse=user.has_perm("recovery.manage")),
        "rates": selectors.rate_history(debt, until=timezone.localdate(now)),
        "suspensions": debt.suspensions.order_by("-starts"),
        "applications": debt.hardship_applications.select_related("decided_by").order_by("-received_on"),
        "can_manage": user.has_perm("recovery.manage") and debt.status == Debt.Status.IN_RECOVERY,
        "can_reverse": user.has_perm("recovery.manage"),
        "can_forward": user.is_la_user and debt.status == Debt.Status.IN_RECOVERY,
        "referral_id": getattr(getattr(debt, "referral", None), "pk", None),
    }
    return _render(request, "recovery/debt_detail.html", context)


def _ledger_rows(lines: list[selectors.Line], *, can_reverse: bool) -> str:
    """The ledger table's rows, as HTML made here rather than by the template: an account can have hundreds of
    entries, and rendering each row's seven values through the template language cost more than the rest of the page
    together. The text is what `date:"j M Y"`, `date:"j M Y H:i"` (local time) and `pounds` give, every value
    escaped as the template would."""
    months = {m: str(MONTHS_3[m]).title() for m in range(1, 13)}  # as `date:"M"`, in the active language
    tz = timezone.get_current_timezone()
    # One reverse() for the pattern, not one per row (the entry's id is the only part that changes).
    reverse_url = escape(reverse("recovery:entry_reverse", args=[987654321])).replace("987654321", "{}")
    kinds = dict(LedgerEntry.Kind.choices)
    rows = []
    for line in lines:
        e = line.entry
        day = e.effective_date
        took_effect = f"{day.day} {months[day.month]} {day.year}"
        recorded = e.recorded_at.astimezone(tz)
        movement = kinds.get(e.kind, e.kind)
        if e.benefit_id:
            movement += f" ({e.benefit_id})"
        if e.note:
            movement += f": {e.note}"
        action = ""
        if can_reverse and e.kind == LedgerEntry.Kind.DEDUCTION and not line.reversed:
            action = (f' <a class="govuk-link" href="{reverse_url.format(e.id)}">Reverse<span '
                      f'class="govuk-visually-hidden"> the deduction of {escape(took_effect)}</span></a>')
        rows.append(
            f'\n  <tr class="govuk-table__row">\n'
            f'    <td class="govuk-table__cell liaison-nowrap">{escape(took_effect)}</td>\n'
            f'    <td class="govuk-table__cell">{escape(movement)}{action}</td>\n'
            f'    <td class="govuk-table__cell govuk-table__cell--numeric">{escape(format_pence(e.amount_pence))}</td>\n'
            f'    <td class="govuk-table__cell govuk-table__cell--numeric">{escape(format_pence(line.balance_pence))}'
            f'</td>\n'
            f'    <td class="govuk-table__cell liaison-nowrap govuk-body-s">'
            f'{escape(f"{recorded.day} {months[recorded.month]} {recorded.year} {recorded:%H:%M}")}</td>\n'
            f'  </tr>\n  ')
    return mark_safe("".join(rows))  # every value above is escaped


@login_required
@require_http_methods(["GET", "POST"])
def hardship_new(request, pk):
    debt = selectors.debt_for(request.user, pk)
    if not (request.user.has_perm("recovery.manage") or request.user.is_la_user):
        raise PermissionDenied
    errors, summary, data = {}, None, request.POST or {}
    if request.method == "POST":
        try:
            received = _date(request.POST, "received_on")
            if received is None:
                raise ApplicationError("", extra={"faults": {"received_on": "Enter the date it was received"}})
            income = _pence_or_none(request.POST, "weekly_income")
            outgoings = _pence_or_none(request.POST, "weekly_outgoings")
            hardship_record(debt=debt, received_on=received, forwarded_by_la=request.user.is_la_user,
                            details=request.POST.get("details", "")[:5000], actor=request.user,
                            weekly_income_pence=income, weekly_outgoings_pence=outgoings)
        except ApplicationError as exc:
            errors, summary = _errors(exc)
        else:
            messages.success(request, "Hardship application recorded." + (
                " DWP Debt Management will decide it." if request.user.is_la_user else ""))
            return redirect("recovery:debt_detail", pk=debt.pk)
    return _render(request, "recovery/hardship_form.html", {"debt": debt, "errors": errors, "error_summary": summary,
                                                           "data": data})


def _pence_or_none(post, name) -> int | None:
    text = (post.get(name) or "").strip()
    if not text:
        return None
    try:
        pence = parse_pounds(text)
    except MoneyError as exc:
        raise ApplicationError("", extra={"faults": {name: f"Amount {exc}"}}) from None
    if pence < 0:
        raise ApplicationError("", extra={"faults": {name: "Amount must not be negative"}})
    return pence


@login_required
@require_http_methods(["GET", "POST"])
def hardship_decide_view(request, pk):
    _require(request, "recovery.manage")
    application = HardshipApplication.objects.select_related("debt", "debt__la").filter(pk=pk).first()
    if application is None:
        raise Http404
    errors, summary, data = {}, None, request.POST or {}
    if request.method == "POST":
        grant = request.POST.get("decision") == "grant"
        try:
            if request.POST.get("decision") not in ("grant", "refuse"):
                raise ApplicationError("", extra={"faults": {"decision": "Choose whether to grant or refuse it"}})
            hardship_decide(application=application, grant=grant, reasons=request.POST.get("reasons", ""),
                            new_weekly_pence=_pence_or_none(request.POST, "new_weekly") if grant else None,
                            effective_from=_date(request.POST, "effective_from") if grant else None,
                            actor=request.user)
        except ApplicationError as exc:
            errors, summary = _errors(exc)
        else:
            messages.success(request, "Decision recorded." + (" The LA has been sent LAHSAG." if grant else ""))
            return redirect("recovery:debt_detail", pk=application.debt_id)
    return _render(request, "recovery/hardship_decide.html", {"application": application, "debt": application.debt,
                                                             "errors": errors, "error_summary": summary,
                                                             "data": data})


@login_required
@require_http_methods(["GET", "POST"])
def debt_suspend(request, pk):
    _require(request, "recovery.manage")
    debt = selectors.debt_for(request.user, pk)
    errors, summary, data = {}, None, request.POST or {}
    if request.method == "POST":
        try:
            starts = _date(request.POST, "starts") or timezone.localdate()
            suspension_create(scope=SuspensionScope(debt=debt), starts=starts, ends=_date(request.POST, "ends"),
                              reason=request.POST.get("reason", ""), actor=request.user)
        except ApplicationError as exc:
            errors, summary = _errors(exc)
        else:
            messages.success(request, "Recovery suspended.")
            return redirect("recovery:debt_detail", pk=debt.pk)
    return _render(request, "recovery/suspend_form.html", {"debt": debt, "errors": errors, "error_summary": summary,
                                                          "data": data})


@login_required
@require_http_methods(["POST"])
def suspension_resume(request, pk):
    # Nobody without either permission learns whether a suspension exists (403 whatever the id).
    if not (request.user.has_perm("recovery.manage") or request.user.has_perm("recovery.bulk_suspend")):
        raise PermissionDenied
    suspension = Suspension.objects.select_related("debt").filter(pk=pk).first()
    if suspension is None:
        raise Http404
    _require(request, "recovery.manage" if suspension.debt_id else "recovery.bulk_suspend")
    try:
        suspension_lift(suspension=suspension, last_day=timezone.localdate(), actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Recovery resumes from tomorrow.")
    if suspension.debt_id:
        return redirect("recovery:debt_detail", pk=suspension.debt_id)
    return redirect("recovery:suspensions")


@login_required
@require_http_methods(["GET", "POST"])
def suspensions(request):
    _require(request, "recovery.bulk_suspend")
    errors, summary, data = {}, None, request.POST or {}
    if request.method == "POST":
        try:
            la_code = (request.POST.get("la") or "").strip().upper()
            la = None
            if la_code:
                la = Organisation.objects.filter(code=la_code, kind=Organisation.Kind.LOCAL_AUTHORITY).first()
                if la is None:
                    raise ApplicationError("", extra={"faults": {"la": f"No Local Authority has the code {la_code}"}})
            benefit = (request.POST.get("benefit") or "").strip() or None
            if benefit and not Benefit.objects.filter(code=benefit, prescribed=True).exists():
                raise ApplicationError("", extra={"faults": {"benefit": "Choose a prescribed benefit"}})
            starts = _date(request.POST, "starts")
            if starts is None:
                raise ApplicationError("", extra={"faults": {"starts": "Enter the first day of the suspension"}})
            suspension_create(scope=SuspensionScope(la=la, benefit_code=benefit), starts=starts,
                              ends=_date(request.POST, "ends"), reason=request.POST.get("reason", ""),
                              actor=request.user)
        except ApplicationError as exc:
            errors, summary = _errors(exc)
        else:
            messages.success(request, "Recovery suspended in bulk.")
            return redirect("recovery:suspensions")
    bulk = Suspension.objects.filter(debt__isnull=True).select_related("la", "benefit", "created_by").order_by("-starts")
    return _render(request, "recovery/suspensions.html", {
        "suspensions": bulk[:200], "errors": errors, "error_summary": summary, "data": data,
        "benefits": Benefit.objects.filter(prescribed=True).order_by("name"), "today": timezone.localdate()})


@login_required
@require_http_methods(["GET", "POST"])
def debt_stop_view(request, pk):
    _require(request, "recovery.manage")
    debt = selectors.debt_for(request.user, pk)
    errors, summary, data = {}, None, request.POST or {}
    if request.method == "POST":
        try:
            debt_stop(debt=debt, reason=request.POST.get("reason", ""), details=request.POST.get("details", ""),
                      identified_on=_date(request.POST, "identified_on"), actor=request.user)
        except ApplicationError as exc:
            errors, summary = _errors(exc)
        else:
            messages.success(request, "Recovery stopped. The LA has been sent LARET with the balance.")
            return redirect("recovery:debt_detail", pk=debt.pk)
    return _render(request, "recovery/stop_form.html", {"debt": debt, "errors": errors, "error_summary": summary,
                                                       "data": data, "reasons": Debt.StopReason.choices})


@login_required
@require_http_methods(["GET", "POST"])
def entry_reverse(request, pk):
    _require(request, "recovery.manage")
    entry = LedgerEntry.objects.select_related("debt").filter(pk=pk, kind=LedgerEntry.Kind.DEDUCTION).first()
    if entry is None:
        raise Http404
    errors, summary, data = {}, None, request.POST or {}
    if request.method == "POST":
        try:
            deduction_reverse(entry=entry, reason=request.POST.get("reason", ""), actor=request.user)
        except ApplicationError as exc:
            errors, summary = {"reason": exc.message}, [{"field": "reason", "message": exc.message}]
        else:
            messages.success(request, "Deduction reversed.")
            return redirect("recovery:debt_detail", pk=entry.debt_id)
    return _render(request, "recovery/reverse_form.html", {"entry": entry, "debt": entry.debt, "errors": errors,
                                                          "error_summary": summary, "data": data})
