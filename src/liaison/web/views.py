"""Pages. Thin: they parse what a person sent, call a service or selector, and render."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from liaison.core import events as core_events
from liaison.core import timeline
from liaison.core.csvfile import carry_on
from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.notices.services import notice_pdf, render_html
from liaison.referrals import selectors
from liaison.referrals.bulk import FileRejected, check_file, results_rows, template_csv
from liaison.referrals.models import Channel, ImportBatch, QueueReason, Reason, Referral, Status
from liaison.referrals.services import DECISIONS, referral_assign, referral_decide, referrals_receive
from liaison.referrals.tasks import process_import
from liaison.referrals.validation import Fault, validate
from liaison.web.forms import DATE_PARTS, referral_data_from_post, web_fault_message
from liaison.web.pagination import keyset_page

PAGE_SIZE = 50


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


def la_required(view):
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_la_user or not request.user.organisation_id:
            raise PermissionDenied("Only Local Authority users can do this.")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    return wrapped


def perm_required(perm):
    def decorator(view):
        @login_required
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.__name__ = view.__name__
        return wrapped

    return decorator


@login_required
def home(request):
    user = request.user
    context = {}
    referrals = selectors.referrals_for(user)
    if user.is_la_user:
        context["recent"] = referrals.select_related("case").order_by("-received_at")[:10]
        context["recent_imports"] = selectors.import_batches_for(user).order_by("-created_at")[:5]
    if user.has_perm("referrals.scrutinise"):
        context["queue_count"] = selectors.queue().count()
        context["queue_mine"] = selectors.queue(assigned="me", user=user).count()
    if user.is_dm_user:
        context["recent"] = referrals.select_related("case", "la").order_by("-received_at")[:10]
    return render(request, "web/home.html", context)


# --- Referrals -------------------------------------------------------------------------------------------

def _reasons():
    return list(Reason.objects.filter(active=True).order_by("position"))


FORM_OPTIONS = {
    "benefit_options": [("HB", "Housing Benefit"), ("CTB", "Council Tax Benefit")],
    "yes_no": [("no", "No"), ("yes", "Yes")],
    "cause_options": [("failure_to_disclose", "Failure to disclose: a change after the claim started was not reported"),
                      ("misrepresentation", "Misrepresentation of a material fact: wrong when the claim was signed")],
    "classification_options": [("error", "Error"), ("fraud", "Fraud")],
    "date_parts": DATE_PARTS,
}


def _referral_form(request, *, data, errors=None, summary=None):
    return render(request, "web/referral_form.html", {"data": data, "reasons": _reasons(), "errors": errors or {},
                                                      "error_summary": summary, **FORM_OPTIONS})


@la_required
@require_http_methods(["GET", "POST"])
def referral_new(request):
    la = request.user.organisation
    today = timezone.localdate()
    if request.method == "GET":
        data = {"la_code": la.code, "referral_date-day": str(today.day), "referral_date-month": str(today.month),
                "referral_date-year": str(today.year), "amount_recovered": "0.00"}
        return _referral_form(request, data=data)
    data = referral_data_from_post(request.POST)
    # The web form is interactive: the officer fixes every fault before anything is sent to DM.
    clean = validate(data, la_code=la.code, today=today,
                     reason_codes={r.code for r in _reasons()})
    # No field may hold a NUL character (PostgreSQL cannot store one); the checks above let some text through.
    faulty = {f.field for f in clean.faults}
    clean.faults += [Fault(name, "Remove the control character (NUL) from this answer")
                     for name, value in data.items() if "\x00" in value and name not in faulty]
    if clean.faults:
        errors: dict[str, str] = {}
        for fault in clean.faults:
            errors.setdefault(fault.field, web_fault_message(fault.message))
        summary = [{"field": name, "message": message} for name, message in errors.items()]
        return _referral_form(request, data=request.POST, errors=errors, summary=summary)
    [result] = referrals_receive(la=la, channel=Channel.WEB, rows=[(None, data)], actor=request.user)
    if result.referral_id and result.outcome != "RESENT":
        messages.success(request, f"Referral {result.la_reference} sent: {result.outcome_label}.")
    else:
        messages.info(request, result.detail)
    return redirect("web:referral_detail", pk=result.referral_id)


@login_required
def referral_list(request):
    qs = selectors.referrals_for(request.user).select_related("la", "case")
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    q = (request.GET.get("q") or "").strip()[:40]
    if q:
        from liaison.core.identifiers import normalise_nino

        qs = qs.filter(la_reference=q) | qs.filter(nino=normalise_nino(q))
    la_code = (request.GET.get("la") or "").strip()[:16]
    if la_code and request.user.is_dm_user:
        qs = qs.filter(la__code=la_code.upper())
    page = keyset_page(qs, request, order=("-received_at", "-id"), size=PAGE_SIZE)
    return render(request, "web/referral_list.html", {"page": page, "status": status, "q": q, "la_code": la_code,
                                                      "statuses": Status.choices})


@login_required
def referral_detail(request, pk):
    referral = selectors.referral_for(request.user, pk)
    now = timezone.now()
    # Every view of personal data is recorded (DOMAIN D5).
    timeline.record(case=referral.case, kind=core_events.CASE_VIEWED, occurred_at=now, actor=request.user,
                    summary=f"Case viewed by {request.user.display_name}")
    events = (Event.objects.filter(case_id=referral.case_id).select_related("actor", "actor_organisation")
              .order_by("-occurred_at", "-id"))
    show_views = request.GET.get("views") == "1"
    if not show_views:
        events = events.exclude(kind__in=[core_events.CASE_VIEWED.code, core_events.NOTICE_DOWNLOADED.code])
    notices = selectors.notices_for(request.user).filter(case_id=referral.case_id).order_by("issued_at")
    context = {"referral": referral, "events": events[:500], "notices": notices, "show_views": show_views,
               "can_decide": request.user.has_perm("referrals.scrutinise") and referral.status == Status.QUEUED}
    return render(request, "web/referral_detail.html", context)


# --- Bulk files ------------------------------------------------------------------------------------------

@la_required
@require_http_methods(["GET", "POST"])
def import_new(request):
    limits = {"max_mb": settings.LIAISON_MAX_IMPORT_BYTES // (1024 * 1024),
              "max_rows": f"{settings.LIAISON_MAX_IMPORT_ROWS:,}"}
    if request.method == "GET":
        return render(request, "web/import_form.html", limits)
    upload: UploadedFile | None = request.FILES.get("file")
    error = None
    if upload is None:
        error = "Select a CSV file of referrals"
    elif not upload.name.lower().endswith(".csv"):
        error = "The selected file must be a CSV"
    if error:
        return render(request, "web/import_form.html", {"error": error, **limits}, status=200)
    batch = _save_batch(upload, la=request.user.organisation, user=request.user, channel=Channel.FILE)
    if isinstance(batch, str):
        return render(request, "web/import_form.html", {"error": batch, **limits}, status=200)
    return redirect("web:import_detail", pk=batch.pk)


def _save_batch(upload: UploadedFile, *, la, user, channel) -> ImportBatch | str:
    """Keep the file and queue it for the worker; a file that cannot be read is refused straight away."""
    batch = ImportBatch(la=la, uploaded_by=user, channel=channel, original_name=upload.name[:255],
                        size_bytes=upload.size or 0)
    batch.file.save(Path(upload.name).name[:100], upload, save=False)
    try:
        check = check_file(Path(batch.file.path))
    except FileRejected as exc:
        batch.file.delete(save=False)
        return str(exc)
    batch.rows_total = check.rows_total
    with transaction.atomic():
        batch.save()
        transaction.on_commit(lambda: process_import.enqueue(batch.pk))
    return batch


@login_required
def import_detail(request, pk):
    batch = selectors.import_batch_for(request.user, pk)
    rows = []
    if batch.state == ImportBatch.State.DONE:
        show = request.GET.get("show", "problems")
        for result in results_rows(batch):
            if show == "all" or result.outcome != Status.LOADED:
                rows.append(result)
            if len(rows) >= 500:
                break
    else:
        show = ""
    return render(request, "web/import_detail.html", {"batch": batch, "rows": rows, "show": show,
                                                      "labels": dict(Status.choices)})


@login_required
@require_POST
def import_carry_on(request, pk):
    """Process a file that stopped part way again, from the row after the last one recorded."""
    batch = selectors.import_batch_for(request.user, pk)
    if carry_on(batch, then=process_import.enqueue):
        messages.success(request, "The file will carry on from the row after the last one recorded.")
    return redirect("web:import_detail", pk=batch.pk)


@login_required
def import_progress(request, pk):
    batch = selectors.import_batch_for(request.user, pk)
    return JsonResponse({"state": batch.state, "state_label": batch.get_state_display(),
                         "rows_total": batch.rows_total, "rows_done": batch.rows_done, "counts": batch.counts,
                         "error": batch.error, "stalled": batch.stalled})


class _Echo:
    def write(self, value):
        return value


def csv_safe(value) -> str:
    """Spreadsheet formula injection guard for every CSV Liaison writes."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def import_results_csv(request, pk):
    batch = selectors.import_batch_for(request.user, pk)
    writer = csv.writer(_Echo())

    def stream():
        yield writer.writerow(["row", "la_reference", "outcome", "case_reference", "faults"])
        for r in results_rows(batch):
            faults = "; ".join(f"{f['label']}: {f['message']}" for f in r.faults)
            yield writer.writerow([r.row, csv_safe(r.la_reference), r.outcome, r.case_reference, csv_safe(faults)])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="results-{batch.pk}.csv"'
    return response


@login_required
def import_template(request):
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="referral-template.csv"'
    return response


@login_required
def import_list(request):
    batches = selectors.import_batches_for(request.user).select_related("la").order_by("-created_at")[:100]
    return render(request, "web/import_list.html", {"batches": batches})


# --- Notices ---------------------------------------------------------------------------------------------

@login_required
def notice_list(request):
    qs = selectors.notices_for(request.user).select_related("la", "case")
    code = request.GET.get("code", "")
    if code:
        qs = qs.filter(code=code)
    page = keyset_page(qs, request, order=("-issued_at", "-id"), size=PAGE_SIZE)
    from liaison.notices.catalogue import CATALOGUE

    return render(request, "web/notice_list.html", {"page": page, "code": code, "catalogue": CATALOGUE})


# The letter carries its own <style> (the same HTML makes the PDF); without this the page policy blocks it and
# the letter shows unstyled. Styles only: the letter has no script, and its data is escaped.
@csp_update({"style-src": [UNSAFE_INLINE]})
@login_required
def notice_view(request, pk):
    notice = selectors.notice_for(request.user, pk)
    timeline.record(case=notice.case, kind=core_events.NOTICE_DOWNLOADED, occurred_at=timezone.now(),
                    actor=request.user, summary=f"{notice.code} {notice.reference} viewed",
                    data={"notice_id": notice.pk, "format": "html"})
    return HttpResponse(render_html(notice))


@login_required
def notice_download(request, pk):
    notice = selectors.notice_for(request.user, pk)
    data = notice_pdf(notice)
    timeline.record(case=notice.case, kind=core_events.NOTICE_DOWNLOADED, occurred_at=timezone.now(),
                    actor=request.user, summary=f"{notice.code} {notice.reference} downloaded",
                    data={"notice_id": notice.pk, "format": "pdf"})
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=f"{notice.code}-{notice.reference}.pdf",
                        content_type="application/pdf")


# --- The CC Porth work queue -----------------------------------------------------------------------------

@perm_required("referrals.scrutinise")
def queue(request):
    reason = request.GET.get("reason", "")
    assigned = request.GET.get("assigned", "")
    qs = selectors.queue(reason=reason if reason in QueueReason.values else "", assigned=assigned,
                         user=request.user)
    page = keyset_page(qs, request, order=("received_at", "id"), size=PAGE_SIZE)
    from liaison.core.calendar import add_working_days

    for referral in page.items:
        referral.due = add_working_days(timezone.localdate(referral.received_at), 10, "ENG")
    return render(request, "web/queue.html", {"page": page, "reason": reason, "assigned": assigned,
                                              "reasons": QueueReason.choices, "today": timezone.localdate()})


@perm_required("referrals.scrutinise")
@require_POST
def queue_assign(request, pk):
    referral = selectors.referral_for(request.user, pk)
    assignee = request.user if request.POST.get("to") != "nobody" else None
    try:
        referral_assign(referral=referral, assignee=assignee, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("web:referral_detail", pk=pk)


@perm_required("referrals.scrutinise")
@require_http_methods(["GET", "POST"])
def queue_decide(request, pk):
    referral = selectors.referral_for(request.user, pk)
    errors, data = {}, {}
    if request.method == "POST":
        data = request.POST
        try:
            referral_decide(referral=referral, outcome=request.POST.get("outcome", ""),
                            reasons=request.POST.get("reasons", ""), actor=request.user)
        except ApplicationError as exc:
            errors = exc.extra.get("faults") or {"outcome": exc.message}
        else:
            messages.success(request, "Decision recorded and the LA has been told.")
            return redirect("web:queue")
    summary = [{"field": k, "message": v} for k, v in errors.items()]
    return render(request, "web/queue_decide.html", {"referral": referral, "decisions": DECISIONS.items(),
                                                     "errors": errors, "error_summary": summary, "data": data})
