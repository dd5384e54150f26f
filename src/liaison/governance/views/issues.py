"""The shared issues log (QIIC): raise, route, own, act, escalate, resolve; evidence; exports."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from liaison.governance import exports, selectors, services, transitions
from liaison.governance.access import acting_org_ids
from liaison.governance.directory import acting_contact
from liaison.governance.evidence import ALLOWED_LABEL, MAX_BYTES
from liaison.governance.forms import Form
from liaison.governance.history import record
from liaison.governance.models import Action, Issue, IssueCategory, Level
from liaison.governance.views.common import attempt, governance_required, history, page

PAGE_SIZE = 50


def _filtered(request):
    qs = selectors.issues_for(request.user).select_related("category", "raised_by_org", "concerns", "owner")
    filters = {"status": request.GET.get("status", ""), "category": request.GET.get("category", ""),
               "level": request.GET.get("level", ""), "q": (request.GET.get("q") or "").strip()[:100]}
    if filters["status"] == "open":
        qs = qs.filter(status__in=[Issue.Status.OPEN, Issue.Status.IN_PROGRESS])
    elif filters["status"] in Issue.Status.values:
        qs = qs.filter(status=filters["status"])
    if filters["category"]:
        qs = qs.filter(category__code=filters["category"])
    if filters["level"].isdigit():
        qs = qs.filter(level=int(filters["level"]))
    if filters["q"]:
        q = filters["q"]
        ref = q.upper().lstrip("Q")
        qs = qs.filter(pk=int(ref)) if ref.isdigit() else qs.filter(title__icontains=q)
    return qs.order_by("-raised_at", "-id"), filters


@governance_required
def issue_list(request):
    qs, filters = _filtered(request)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return page(request, "governance/issue_list.html", {
        "page": page_obj, "filters": filters, "statuses": Issue.Status.choices, "levels": Level.choices,
        "categories": IssueCategory.objects.filter(active=True), "query": params.urlencode()})


def _issue_form_context(request):
    return {"kinds": Issue.Kind.choices, "categories": IssueCategory.objects.filter(active=True),
            "concern_options": list(services.concern_choices(request.user).values_list("code", "name")),
            "evidence_hint": _evidence_hint()}


def _evidence_hint() -> str:
    return f"Up to 10 files, each smaller than {MAX_BYTES // (1024 * 1024)}MB: {ALLOWED_LABEL}"


@governance_required
@require_http_methods(["GET", "POST"])
def issue_new(request):
    form = Form(request.POST if request.method == "POST" else {})
    if request.method == "POST":
        category = IssueCategory.objects.filter(code=form.get("category"), active=True).first()
        concerns = services.concern_choices(request.user).filter(code=form.get("concerns")).first()
        issue = attempt(form, lambda: services.issue_raise(
            kind=form.get("kind"), category=category, title=form.get("title"), description=form.get("description"),
            concerns=concerns, case_references=services.parse_case_references(form.get("cases")),
            files=request.FILES.getlist("evidence"), actor=request.user))
        if issue is not None:
            messages.success(request, f"{issue.reference} raised and routed to {issue.routed_to_name}.")
            return redirect("governance:issue_detail", pk=issue.pk)
    return page(request, "governance/issue_form.html", _issue_form_context(request), form)


def _detail(request, issue: Issue, form: Form | None = None, which: str = ""):
    user = request.user
    raiser = services._is_raiser_side(user, issue)
    options = []
    for status in transitions.allowed("issue", issue.status):
        if status in services.RAISER_ONLY and not raiser:
            continue
        options.append((status, Issue.Status(status).label))
    next_level = None
    if issue.is_open and issue.level < Level.JOINT_GROUP:
        next_level = Level(issue.level + 1)
    actions = list(issue.actions.select_related("owner_organisation", "completed_by"))
    today = timezone.localdate()
    for a in actions:
        a.overdue = a.is_overdue(today)
    context = {
        "issue": issue, "actions": actions, "evidence": issue.evidence.select_related("uploaded_by"),
        "cases": issue.cases.select_related("referral").order_by("id"), "history": history(issue),
        "status_options": options, "next_level": next_level, "which": which,
        "evidence_hint": _evidence_hint(), "is_owner": issue.owner_id == user.pk,
    }
    return page(request, "governance/issue_detail.html", context, form or Form({}))


@governance_required
def issue_detail(request, pk):
    return _detail(request, selectors.issue_for(request.user, pk))


def _post(request, pk, which: str, call, success: str, *, dates=None):
    issue = selectors.issue_for(request.user, pk)
    form = Form(request.POST, dates=dates)
    result = attempt(form, lambda: call(issue, form))
    if result is None:
        return _detail(request, issue, form, which)
    messages.success(request, success(issue, result) if callable(success) else success.format(issue=issue,
                                                                                           result=result))
    return redirect("governance:issue_detail", pk=issue.pk)


@governance_required
@require_POST
def issue_status(request, pk):
    return _post(request, pk, "status", lambda issue, f: services.issue_set_status(
        issue=issue, status=f.get("status"), note=f.get("note"), actor=request.user),
        lambda issue, result: f"Status changed to {result.get_status_display().lower()}.")


@governance_required
@require_POST
def issue_take(request, pk):
    return _post(request, pk, "owner", lambda issue, f: services.issue_assign(
        issue=issue, owner=request.user, actor=request.user), "You now own {issue.reference}.")


@governance_required
@require_POST
def issue_comment(request, pk):
    return _post(request, pk, "comment", lambda issue, f: services.issue_comment(
        issue=issue, text=f.get("text"), actor=request.user), "Update added.")


@governance_required
@require_POST
def issue_action_new(request, pk):
    return _post(request, pk, "action", lambda issue, f: services.action_add(
        issue=issue, description=f.get("description"), owner_name=f.get("owner_name"),
        owner_email=f.get("owner_email"), due_on=f.dates["due_on"], actor=request.user),
        "Action {result.reference} added.", dates={"due_on": "The date it is due"})


@governance_required
@require_POST
def issue_evidence(request, pk):
    return _post(request, pk, "evidence", lambda issue, f: services.evidence_add(
        issue=issue, files=request.FILES.getlist("evidence"), actor=request.user),
        "Evidence added.")


@governance_required
@require_http_methods(["GET", "POST"])
def issue_escalate(request, pk):
    issue = selectors.issue_for(request.user, pk)
    if not issue.is_open or issue.level >= Level.JOINT_GROUP:
        messages.info(request, "This entry cannot be escalated any further." if issue.is_open
                      else f"This entry is {issue.get_status_display().lower()}: only an open entry is escalated.")
        return redirect("governance:issue_detail", pk=issue.pk)
    form = Form(request.POST if request.method == "POST" else {})
    if request.method == "POST":
        result = attempt(form, lambda: services.issue_escalate(issue=issue, reason=form.get("reason"),
                                                              actor=request.user))
        if result is not None:
            messages.success(request, f"Escalated to {Level(result.level).label.lower()}: routed to "
                                      f"{result.routed_to_name}.")
            return redirect("governance:issue_detail", pk=issue.pk)
    target = Level(issue.level + 1)
    org, duty, group = services._route_target(issue, target)
    preview = None
    if group is None and org is not None:
        preview = acting_contact(organisation=org, duty=duty, on=timezone.localdate())
    return page(request, "governance/issue_escalate.html", {
        "issue": issue, "target": target, "preview": preview, "group": group,
        "no_group": target == Level.JOINT_GROUP and group is None}, form)


@governance_required
def evidence_download(request, pk):
    evidence = selectors.evidence_for(request.user, pk)
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("The file is missing") from None
    record(subject=evidence.issue, kind="issue.evidence_downloaded", occurred_at=timezone.now(), actor=request.user,
           summary=f"Evidence downloaded: {evidence.original_name}", data={"evidence_id": evidence.pk})
    return FileResponse(handle, as_attachment=True, filename=evidence.original_name,
                        content_type=evidence.content_type)


# --- Actions ----------------------------------------------------------------------------------------------

@governance_required
@require_POST
def action_update(request, pk):
    action = selectors.action_for(request.user, pk)
    outcome = request.POST.get("outcome", "done")
    form = Form(request.POST)
    if outcome == "cancel":
        result = attempt(form, lambda: services.action_cancel(action=action, note=form.get("note"),
                                                             actor=request.user))
    else:
        result = attempt(form, lambda: services.action_complete(action=action, note=form.get("note"),
                                                               actor=request.user))
    if result is None:
        messages.error(request, next(iter(form.errors.values())))
    else:
        messages.success(request, f"Action {action.reference} {result.get_status_display().lower()}.")
    if action.issue_id:
        return redirect("governance:issue_detail", pk=action.issue_id)
    return redirect("governance:meeting_detail", pk=action.meeting_id)


# --- Exports ----------------------------------------------------------------------------------------------

def _export_issues(request):
    qs, _ = _filtered(request)
    return qs.select_related("owner").prefetch_related("actions", "cases")


def _actions(request):
    qs = selectors.actions_for(request.user).select_related("issue", "meeting__group", "owner_organisation")
    status = request.GET.get("status", "")
    if status in Action.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("due_on", "id")


def _stamp() -> str:
    return f"{timezone.localdate():%Y-%m-%d}"


@governance_required
def issues_csv(request):
    response = StreamingHttpResponse(exports.as_csv(exports.ISSUE_HEADER, exports.issue_rows(_export_issues(request))),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="issues-log-{_stamp()}.csv"'
    return response


@governance_required
def issues_xlsx(request):
    data = exports.as_xlsx("Issues log", exports.ISSUE_HEADER, exports.issue_rows(_export_issues(request)))
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=f"issues-log-{_stamp()}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@governance_required
def actions_csv(request):
    response = StreamingHttpResponse(exports.as_csv(exports.ACTION_HEADER, exports.action_rows(_actions(request))),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="actions-{_stamp()}.csv"'
    return response


@governance_required
def actions_xlsx(request):
    data = exports.as_xlsx("Actions", exports.ACTION_HEADER, exports.action_rows(_actions(request)))
    return FileResponse(io.BytesIO(data), as_attachment=True, filename=f"actions-{_stamp()}.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@governance_required
def action_list(request):
    actions = list(_actions(request)[:500])
    today = timezone.localdate()
    for a in actions:
        a.overdue = a.is_overdue(today)
    return page(request, "governance/action_list.html", {"actions": actions, "status": request.GET.get("status", ""),
                                                         "statuses": Action.Status.choices,
                                                         "mine": acting_org_ids(request.user)})
