"""Casework pages. Thin: they parse what a person sent, call a service or a selector, and render.

An LA sees its own casework only (another LA's is a 404, exactly like one that does not exist); DM's pages check
the permission before looking anything up, so an LA user gets 403 whether or not the thing exists.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from liaison.casework import events, limits, selectors, soe
from liaison.casework.bulk import FileRejected, check_change_file, results_rows, template
from liaison.casework.models import (
    AppealOutcome, ChangeFile, ChangeKind, ChangeStatus, Channel, Complaint, SoeRequest, WorkItem,
)
from liaison.casework.services import (
    ChangeRefused, appeal_outcome_record, change_action, change_notify, complaint_faults, complaint_forward,
    complaint_record, soe_request, soe_supply, workitem_assign,
)
from liaison.casework.tasks import process_change_file
from liaison.casework.validation import KIND_VALUES, VALUE_FOR_KIND
from liaison.core import events as core_events
from liaison.core import timeline
from liaison.core.csvfile import carry_on
from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.core.identifiers import normalise_nino
from liaison.core.money import MoneyError, parse_pounds
from liaison.web.pagination import keyset_page

DATE_PARTS = ("day", "month", "year")
PAGE_SIZE = 50
QUEUE_SIZE = 200


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _la_only(request) -> None:
    if not request.user.is_la_user or not request.user.organisation_id:
        raise PermissionDenied("Only Local Authority users can do this.")


def _date_text(post, name: str) -> str:
    """A GOV.UK date input as the services' text form (YYYY-MM-DD), "" when blank, "not-a-date" when not one."""
    parts = [(post.get(f"{name}-{p}") or "").strip() for p in DATE_PARTS]
    if not any(parts):
        return ""
    day, month, year = parts
    if not all(p.isdigit() for p in parts) or len(year) != 4:
        return "not-a-date"
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def _date(post, name: str) -> tuple[dt.date | None, str | None]:
    text = _date_text(post, name)
    if not text:
        return None, None
    try:
        return dt.date.fromisoformat(text), None
    except ValueError:
        return None, "Enter a real date, like 27 3 2025"


def _summary(errors: dict[str, str], date_fields=()) -> list[dict]:
    """The error summary: each link goes to its field (a date's first box, as GOV.UK's date input asks)."""
    return [{"field": f"{name}-day" if name in date_fields else (name if name != "__all__" else "main-content"),
             "message": message} for name, message in errors.items()]


def _errors_from(exc: ApplicationError) -> dict[str, str]:
    faults = exc.extra.get("faults")
    if isinstance(faults, list):
        errors: dict[str, str] = {}
        for f in faults:
            errors.setdefault(f["field"] if f["field"] != "row" else "__all__", f["message"])
        return errors
    return dict(faults) if faults else {"__all__": exc.message}


def _page(request, template_name: str, context: dict, **kwargs):
    return render(request, template_name, {"date_parts": DATE_PARTS, **context}, **kwargs)


def _steps_since(case, since):
    """The case's timeline since `since`, newest first, without the views of it."""
    return (Event.objects.filter(case=case, occurred_at__gte=since).exclude(kind__in=soe.hidden_kinds())
            .select_related("actor", "actor_organisation").order_by("-occurred_at", "-id")[:50])


def _record_view(request, case, what: str) -> None:
    # Every view of personal data is recorded (DOMAIN D5).
    timeline.record(case=case, kind=core_events.CASE_VIEWED, occurred_at=timezone.now(), actor=request.user,
                    summary=f"{what} viewed by {request.user.display_name}")


# --- Home -----------------------------------------------------------------------------------------------------

@login_required
def home(request):
    user = request.user
    if user.has_perm("casework.work"):
        return redirect("casework:queue_index")
    if not user.is_la_user:
        raise PermissionDenied
    changes = selectors.changes_for(user)
    return _page(request, "casework/home.html", {
        "section": "home",
        "open_changes": changes.filter(status=ChangeStatus.RECEIVED).count(),
        "awaiting_outcome": changes.filter(status=ChangeStatus.AWAITING_OUTCOME).select_related("debt")
                                   .order_by("received_at")[:20],
        "complaints": selectors.complaints_for(user).select_related("debt").order_by("-forwarded_at")[:5],
        "soe_waiting": selectors.soe_requests_for(user).filter(status=SoeRequest.Status.REQUESTED).count(),
        "soe_ready": selectors.soe_requests_for(user).filter(status=SoeRequest.Status.SUPPLIED)
                             .select_related("debt").order_by("-supplied_at")[:5],
        "files": selectors.change_files_for(user).order_by("-created_at")[:5],
    })


# --- Changes of circumstances ---------------------------------------------------------------------------------

@login_required
def change_list(request):
    qs = selectors.changes_for(request.user).select_related("la", "site", "debt")
    filters = {"status": request.GET.get("status", ""), "kind": request.GET.get("kind", ""),
               "q": (request.GET.get("q") or "").strip()[:40]}
    if filters["status"] in ChangeStatus.values:
        qs = qs.filter(status=filters["status"])
    if filters["kind"] in ChangeKind.values:
        qs = qs.filter(kind=filters["kind"])
    if filters["q"]:
        qs = qs.filter(la_reference=filters["q"]) | qs.filter(nino=normalise_nino(filters["q"]))
    page = keyset_page(qs, request, order=("-received_at", "-id"), size=PAGE_SIZE)
    return _page(request, "casework/change_list.html", {
        "section": "changes", "page": page, "filters": filters, "statuses": ChangeStatus.choices,
        "kinds": ChangeKind.choices})


KIND_OPTIONS = [(VALUE_FOR_KIND[k], label) for k, label in ChangeKind.choices]


@login_required
@require_http_methods(["GET", "POST"])
def change_new(request):
    _la_only(request)
    la = request.user.organisation
    if request.method == "GET":
        data = {"officer_name": request.user.get_full_name()}
        debt = _own_debt_from_query(request)
        if debt is not None:
            data.update({"la_reference": debt.la_reference, "nino": debt.nino, "customer_name": debt.debtor_name})
        return _change_form(request, data=data)
    post = request.POST
    data = {name: post.get(name, "") for name in ("customer_name", "nino", "la_reference", "change", "details",
                                                  "officer_name")}
    data["la_told_on"] = _date_text(post, "la_told_on")
    try:
        change = change_notify(la=la, data=data, actor=request.user, channel=Channel.WEB, now=timezone.now())
    except ChangeRefused as exc:
        errors = _errors_from(exc)
        if "la_told_on" in errors:
            errors["la_told_on"] = errors["la_told_on"].replace("like 2025-04-07", "like 27 3 2025")
        return _change_form(request, data=post, errors=errors)
    messages.success(request, f"Change of circumstances {change.reference} sent to {change.site.name}. It is due "
                              f"to be actioned by {change.due_on:%-d %B %Y}.")
    return redirect("casework:change_detail", pk=change.pk)


def _own_debt_from_query(request):
    pk = request.GET.get("debt", "")
    if not pk.isdigit():
        return None
    from liaison.recovery.selectors import debts_for

    return debts_for(request.user).filter(pk=int(pk)).first()


def _change_form(request, *, data, errors=None):
    errors = errors or {}
    return _page(request, "casework/change_form.html", {
        "section": "changes", "data": data, "errors": errors, "error_summary": _summary(errors, {"la_told_on"}),
        "kind_options": KIND_OPTIONS, "notify_days": limits.LIMITS["COC-NOTIFY"].working_days})


@login_required
def change_detail(request, pk):
    change = selectors.change_for(request.user, pk)
    _record_view(request, change.case, f"Change of circumstances {change.reference}")
    user = request.user
    received_on = timezone.localdate(change.received_at)
    notify_days, notify_met = limits.la_notified_within(change.la_told_on, received_on, change.la.nation)
    notices = change.case.notices.filter(issued_at__gte=change.received_at).order_by("issued_at")
    return _page(request, "casework/change_detail.html", {
        "section": "changes", "change": change, "debt": change.debt, "item": getattr(change, "work_item", None),
        "notices": notices, "today": timezone.localdate(), "notify_days": notify_days, "notify_met": notify_met,
        "steps": _steps_since(change.case, change.received_at),
        "notify_limit": limits.LIMITS["COC-NOTIFY"].working_days,
        "can_action": user.has_perm("casework.action") and change.status == ChangeStatus.RECEIVED,
        "can_assign": user.has_perm("casework.work") and change.status == ChangeStatus.RECEIVED,
        "can_record_outcome": change.status == ChangeStatus.AWAITING_OUTCOME and (
            user.has_perm("casework.action") or (user.is_la_user and user.organisation_id == change.la_id))})


EFFECTS = {
    ChangeKind.REPAID_IN_FULL: "The balance is settled (the customer repaid the LA directly), the debt closes as "
                               "paid in full and the LA is sent HBPIF.",
    ChangeKind.NOW_ON_HB: "Recovery stops and the rest of the debt goes back to the LA, with LARET.",
    ChangeKind.LA_ARRANGEMENTS: "Recovery stops and the rest of the debt goes back to the LA, with LARET.",
    ChangeKind.APPEALED: "Recovery is suspended from today until the LA records the outcome of the appeal. The LA is "
                         "sent COCACT.",
    ChangeKind.OTHER: "Nothing changes on the debt: write your decision. The LA is sent it with COCACT.",
}


@login_required
@require_http_methods(["GET", "POST"])
def change_action_view(request, pk):
    _require(request, "casework.action")
    change = selectors.change_for(request.user, pk)
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            change_action(change=change, decision=request.POST.get("decision", ""), actor=request.user,
                          now=timezone.now())
        except ApplicationError as exc:
            if exc.status == 409:
                messages.error(request, exc.message)
                return redirect("casework:change_detail", pk=change.pk)
            errors = _errors_from(exc)
        else:
            messages.success(request, f"Change of circumstances {change.reference} actioned. The LA has been told.")
            return redirect("casework:change_detail", pk=change.pk)
    if change.status != ChangeStatus.RECEIVED:
        messages.info(request, "This change has already been actioned.")
        return redirect("casework:change_detail", pk=change.pk)
    return _page(request, "casework/change_action.html", {
        "section": "changes", "change": change, "debt": change.debt, "effect": EFFECTS[change.kind],
        "errors": errors, "error_summary": _summary(errors), "data": data})


@login_required
@require_http_methods(["GET", "POST"])
def change_outcome_view(request, pk):
    change = selectors.change_for(request.user, pk)
    user = request.user
    if not (user.has_perm("casework.action") or (user.is_la_user and user.organisation_id == change.la_id)):
        raise PermissionDenied
    if change.status != ChangeStatus.AWAITING_OUTCOME:
        messages.info(request, "No appeal outcome is waited for on this change.")
        return redirect("casework:change_detail", pk=change.pk)
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        outcome = request.POST.get("outcome", "")
        amount = None
        try:
            if outcome == AppealOutcome.REDUCED and (request.POST.get("amount") or "").strip():
                try:
                    amount = parse_pounds(request.POST["amount"])
                except MoneyError as exc:
                    raise ApplicationError("", extra={"faults": {"amount": f"Amount {exc}"}}) from None
            appeal_outcome_record(change=change, outcome=outcome, amount_pence=amount, actor=user,
                                  details=request.POST.get("details", ""), now=timezone.now())
        except ApplicationError as exc:
            if exc.status == 409:
                messages.error(request, exc.message)
                return redirect("casework:change_detail", pk=change.pk)
            errors = _errors_from(exc)
        else:
            messages.success(request, "The appeal's outcome has been recorded and applied to the debt.")
            return redirect("casework:change_detail", pk=change.pk)
    return _page(request, "casework/change_outcome.html", {
        "section": "changes", "change": change, "debt": change.debt, "errors": errors,
        "error_summary": _summary(errors), "data": data, "outcomes": AppealOutcome.choices})


# --- Files of changes -----------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def change_file_new(request):
    _la_only(request)
    context = {"section": "changes", "kinds": KIND_VALUES}
    if request.method == "GET":
        return _page(request, "casework/file_form.html", context)
    upload = request.FILES.get("file")
    error = None
    if upload is None:
        error = "Select a CSV file of changes of circumstances"
    elif not upload.name.lower().endswith(".csv"):
        error = "The selected file must be a CSV"
    if error is None:
        change_file = ChangeFile(la=request.user.organisation, uploaded_by=request.user,
                                 original_name=upload.name[:255], size_bytes=upload.size or 0)
        change_file.file.save(Path(upload.name).name[:100], upload, save=False)
        try:
            check = check_change_file(Path(change_file.file.path))
        except FileRejected as exc:
            change_file.file.delete(save=False)
            error = str(exc)
        else:
            change_file.rows_total = check.rows_total
            with transaction.atomic():
                change_file.save()
                transaction.on_commit(lambda: process_change_file.enqueue(change_file.pk))
            return redirect("casework:file_detail", pk=change_file.pk)
    return _page(request, "casework/file_form.html", {**context, "error": error,
                                                      "error_summary": [{"field": "file", "message": error}]})


@login_required
def change_file_detail(request, pk):
    change_file = selectors.change_file_for(request.user, pk)
    rows = []
    show = request.GET.get("show", "problems")
    if change_file.state == ChangeFile.State.DONE:
        for row in results_rows(change_file):
            if show == "all" or row.outcome != "ACCEPTED":
                rows.append(row)
            if len(rows) >= 500:
                break
    return _page(request, "casework/file_detail.html", {"section": "changes", "f": change_file, "rows": rows,
                                                        "show": show})


@login_required
@require_POST
def change_file_carry_on(request, pk):
    """Process a file that stopped part way again, from the row after the last one recorded."""
    change_file = selectors.change_file_for(request.user, pk)
    if carry_on(change_file, then=process_change_file.enqueue):
        messages.success(request, "The file will carry on from the row after the last one recorded.")
    return redirect("casework:file_detail", pk=change_file.pk)


@login_required
def change_file_progress(request, pk):
    change_file = selectors.change_file_for(request.user, pk)
    return JsonResponse({"state": change_file.state, "state_label": change_file.get_state_display(),
                         "rows_total": change_file.rows_total, "rows_done": change_file.rows_done,
                         "counts": change_file.counts, "error": change_file.error,
                         "stalled": change_file.stalled})


@login_required
def change_file_template(request):
    response = HttpResponse(template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="change-of-circumstances-template.csv"'
    return response


# --- Complaints and MP enquiries --------------------------------------------------------------------------------

@login_required
def complaint_list(request):
    qs = selectors.complaints_for(request.user).select_related("la", "site", "debt")
    status = request.GET.get("status", "")
    if status in Complaint.Status.values and request.user.is_dm_user:
        qs = qs.filter(status=status)
    items = list(qs.order_by("-received_on", "-id")[:200])
    return _page(request, "casework/complaint_list.html", {"section": "complaints", "complaints": items,
                                                           "status": status, "statuses": Complaint.Status.choices})


@login_required
@require_http_methods(["GET", "POST"])
def complaint_new(request):
    _require(request, "casework.work")
    errors, data, choices = {}, {}, []
    if request.method == "GET":
        data = {"debt": request.GET.get("debt", "")[:20]}
    else:
        data = request.POST
        received_on, date_fault = _date(request.POST, "received_on")
        debts = selectors.debts_matching(request.POST.get("debt", ""))
        chosen = request.POST.get("debt_id", "")
        if chosen.isdigit():
            debts = [d for d in debts if d.pk == int(chosen)] or debts
        try:
            faults = complaint_faults(kind=request.POST.get("kind", ""), made_by=request.POST.get("made_by", ""),
                                      received_on=received_on, channel=request.POST.get("channel", ""),
                                      summary=request.POST.get("summary", ""), today=timezone.localdate())
            if not debts:
                faults = {"debt": "Enter a debt reference (like D00000042) or a National Insurance number that DM "
                                  "holds a debt for", **faults}
            elif len(debts) > 1:
                choices = debts
                faults = {"debt": "That customer has more than one debt: choose the one the complaint is about",
                          **faults}
            if faults:
                raise ApplicationError("", extra={"faults": faults})
            complaint = complaint_record(
                debt=debts[0], kind=request.POST.get("kind", ""), made_by=request.POST.get("made_by", ""),
                received_on=received_on, channel=request.POST.get("channel", ""),
                summary=request.POST.get("summary", ""), actor=request.user, now=timezone.now())
        except ApplicationError as exc:
            errors = _errors_from(exc)
            if date_fault:
                errors["received_on"] = date_fault
        else:
            messages.success(request, f"{complaint.get_kind_display()} {complaint.reference} recorded. Forward it to "
                                      f"{complaint.la.name} by {complaint.due_on:%-d %B %Y}.")
            return redirect("casework:complaint_detail", pk=complaint.pk)
    return _page(request, "casework/complaint_form.html", {
        "section": "complaints", "data": data, "errors": errors,
        "error_summary": _summary(errors, {"received_on"}), "choices": choices,
        "kinds": Complaint.Kind.choices, "channels": Complaint.ReceivedBy.choices,
        "forward_days": limits.LIMITS["COMPLAINT-FWD"].working_days})


@login_required
def complaint_detail(request, pk):
    complaint = selectors.complaint_for(request.user, pk)
    _record_view(request, complaint.case, f"{complaint.get_kind_display()} {complaint.reference}")
    user = request.user
    return _page(request, "casework/complaint_detail.html", {
        "section": "complaints", "complaint": complaint, "debt": complaint.debt, "today": timezone.localdate(),
        "item": getattr(complaint, "work_item", None),
        "soe_requests": complaint.soe_requests.order_by("-requested_at"),
        "can_forward": user.has_perm("casework.work") and complaint.status == Complaint.Status.RECEIVED,
        "can_ask_soe": user.is_la_user})


@login_required
@require_http_methods(["GET", "POST"])
def complaint_forward_view(request, pk):
    _require(request, "casework.work")
    complaint = selectors.complaint_for(request.user, pk)
    if complaint.status != Complaint.Status.RECEIVED:
        messages.info(request, "This has already been forwarded to the LA.")
        return redirect("casework:complaint_detail", pk=complaint.pk)
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            complaint_forward(complaint=complaint, note=request.POST.get("note", ""), actor=request.user,
                              now=timezone.now())
        except ApplicationError as exc:
            errors = _errors_from(exc)
        else:
            messages.success(request, f"Forwarded to {complaint.la.name}: they have been sent it with a COMPLAINT "
                                      "notice.")
            return redirect("casework:complaint_detail", pk=complaint.pk)
    return _page(request, "casework/complaint_forward.html", {
        "section": "complaints", "complaint": complaint, "debt": complaint.debt, "errors": errors,
        "error_summary": _summary(errors), "data": data})


# --- Sequences of events ----------------------------------------------------------------------------------------

@login_required
def soe_list(request):
    qs = selectors.soe_requests_for(request.user).select_related("la", "site", "debt")
    items = list(qs.order_by("-requested_at", "-id")[:200])
    return _page(request, "casework/soe_list.html", {"section": "soe", "requests": items,
                                                     "today": timezone.localdate()})


@login_required
@require_http_methods(["GET", "POST"])
def soe_new(request):
    _la_only(request)
    la = request.user.organisation
    complaint = None
    complaint_id = request.POST.get("complaint") or request.GET.get("complaint") or ""
    if complaint_id.isdigit():
        complaint = selectors.complaints_for(request.user).select_related("debt").filter(pk=int(complaint_id)).first()
    errors, data = {}, {}
    if request.method == "GET":
        debt = complaint.debt if complaint else _own_debt_from_query(request)
        data = {"la_reference": debt.la_reference if debt else ""}
    else:
        data = request.POST
        reference = (request.POST.get("la_reference") or "").strip()[:40]
        debt = selectors.debt_of_la(la.pk, reference) if reference else None
        try:
            if debt is None:
                raise ApplicationError("", extra={"faults": {"la_reference": (
                    f"No debt with LA reference {reference} is held for your authority" if reference else
                    "Enter your reference for the overpayment")}})
            request_ = soe_request(debt=debt, reason=request.POST.get("reason", ""), actor=request.user,
                                   complaint=complaint if complaint and complaint.debt_id == debt.pk else None,
                                   now=timezone.now())
        except ApplicationError as exc:
            errors = _errors_from(exc)
            if exc.status == 409:
                errors = {"la_reference": exc.message}
        else:
            messages.success(request, f"Sequence of events asked for ({request_.reference}). {request_.site.name} "
                                      f"will supply it by {request_.due_on:%-d %B %Y}.")
            return redirect("casework:soe_detail", pk=request_.pk)
    return _page(request, "casework/soe_form.html", {
        "section": "soe", "data": data, "errors": errors, "error_summary": _summary(errors), "complaint": complaint,
        "soe_days": limits.LIMITS["SOE"].working_days})


@login_required
def soe_detail(request, pk):
    request_ = selectors.soe_request_for(request.user, pk)
    _record_view(request, request_.case, f"Sequence of events request {request_.reference}")
    return _page(request, "casework/soe_detail.html", {
        "section": "soe", "r": request_, "debt": request_.debt, "item": getattr(request_, "work_item", None),
        "today": timezone.localdate(),
        "can_supply": request.user.has_perm("casework.work") and request_.status == SoeRequest.Status.REQUESTED})


@login_required
@require_POST
def soe_supply_view(request, pk):
    _require(request, "casework.work")
    request_ = selectors.soe_request_for(request.user, pk)
    try:
        soe_supply(request=request_, actor=request.user, now=timezone.now())
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Sequence of events supplied. {request_.la.name} has been told it is ready.")
    return redirect("casework:soe_detail", pk=request_.pk)


@login_required
def soe_download(request, pk):
    request_ = selectors.soe_request_for(request.user, pk)
    if request_.status != SoeRequest.Status.SUPPLIED or not request_.document:
        raise Http404("Not supplied yet")
    with request_.document.open("rb") as fh:
        data = fh.read()
    timeline.record(case=request_.case, kind=events.SOE_DOWNLOADED, occurred_at=timezone.now(), actor=request.user,
                    summary=f"Sequence of events {request_.reference} downloaded by {request.user.display_name}",
                    data={"soe_id": request_.pk})
    return FileResponse(io.BytesIO(data), as_attachment=True, content_type="application/pdf",
                        filename=f"sequence-of-events-{request_.reference}.pdf")


# --- Work queues ------------------------------------------------------------------------------------------------

@login_required
def queue_index(request):
    _require(request, "casework.work")
    today = timezone.localdate()
    units = [(unit, selectors.queue_counts(unit, today=today)) for unit in selectors.queue_units()]
    return _page(request, "casework/queue_index.html", {
        "section": "queue", "units": units, "home": selectors.home_queue_for(request.user)})


@login_required
def queue(request, code):
    _require(request, "casework.work")
    unit = selectors.queue_unit(code)
    today = timezone.localdate()
    filters = selectors.QueueFilters(kind=request.GET.get("kind", ""), due=request.GET.get("due", ""),
                                     assigned=request.GET.get("assigned", ""),
                                     la=(request.GET.get("la") or "").strip()[:16])
    qs = selectors.work_queue(unit, today=today, filters=filters, user=request.user)
    items = list(qs[:QUEUE_SIZE + 1])
    more = len(items) > QUEUE_SIZE
    items = items[:QUEUE_SIZE]
    for item in items:
        item.urgency = limits.urgency(item.due_on, today)
    selected = _selected_filters(request, filters)
    context = {"section": "queue", "unit": unit, "items": items, "more": more, "filters": filters,
               "counts": selectors.queue_counts(unit, today=today), "today": today, "selected": selected,
               "kinds": WorkItem.Kind.choices, "las": selectors.queue_las(unit), "units": selectors.queue_units(),
               "soon_days": limits.DUE_SOON_WORKING_DAYS, "due_options": list(DUE_LABELS.items()),
               "assigned_options": list(ASSIGNED_LABELS.items())}
    context["is_porth"] = unit.unit == unit.Unit.CC_PORTH
    return _page(request, "casework/queue.html", context)


DUE_LABELS = {"overdue": "Overdue", "soon": "Due soon", "later": "Due later"}
ASSIGNED_LABELS = {"me": "Assigned to me", "nobody": "Assigned to nobody"}


def _selected_filters(request, filters: selectors.QueueFilters) -> list[dict]:
    """The MOJ filter's "selected filters": each with a link that removes it."""
    chosen = []
    kinds = dict(WorkItem.Kind.choices)
    for name, labels in (("kind", kinds), ("due", DUE_LABELS), ("assigned", ASSIGNED_LABELS), ("la", None)):
        value = getattr(filters, name)
        if not value or (labels is not None and value not in labels):
            continue
        params = request.GET.copy()
        params.pop(name, None)
        chosen.append({"heading": {"kind": "Work", "due": "Due", "assigned": "Assigned", "la": "Local Authority"}[name],
                       "text": labels[value] if labels else value.upper(), "href": "?" + params.urlencode()})
    return chosen


@login_required
@require_POST
def work_assign(request, pk):
    _require(request, "casework.work")
    item = WorkItem.objects.filter(pk=pk).select_related("site").first()
    if item is None:
        raise Http404("No such work")
    assignee = None if request.POST.get("to") == "nobody" else request.user
    try:
        workitem_assign(item=item, assignee=assignee, actor=request.user, now=timezone.now())
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Assigned to you." if assignee else "Unassigned.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return redirect(back)
    return redirect(reverse("casework:queue", args=[item.site.code]))

