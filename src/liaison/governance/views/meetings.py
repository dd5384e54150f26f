"""Governance groups: members and deputies, meetings, minutes, actions, milestones and exception reports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from liaison.governance import selectors, services
from liaison.governance.access import acting_org_ids
from liaison.governance.forms import Form
from liaison.governance.models import Group, Issue, Level, Meeting, Milestone, Side
from liaison.governance.views.common import attempt, governance_required, history, page, today
from liaison.partners.models import Organisation


def _group_facts(group: Group, day):
    last = services.last_held(group)
    due = services.next_meeting_due_on(group)
    upcoming = group.meetings.filter(status=Meeting.Status.SCHEDULED, held_on__gte=day).order_by("held_on").first()
    return {"last": last, "due": due, "overdue": day > due, "upcoming": upcoming,
            "upcoming_late": upcoming is not None and upcoming.held_on > due}


@governance_required
def group_list(request):
    day = today()
    groups = list(selectors.groups_for(request.user).select_related("side_a_org", "side_b_org", "parent"))
    for g in groups:
        g.facts = _group_facts(g, day)
    return page(request, "governance/group_list.html", {
        "groups": groups, "can_create": request.user.has_perm("governance.create_group"),
        "can_engage": services.can_organise_engagement(request.user)})


@governance_required
@require_http_methods(["GET", "POST"])
def group_new(request):
    if not request.user.has_perm("governance.create_group"):
        raise PermissionDenied("Only DWP Debt Management's SLA liaison officers and the governments set up groups.")
    mine = Organisation.objects.filter(pk__in=acting_org_ids(request.user)).order_by("name")
    others = Organisation.objects.exclude(pk__in=acting_org_ids(request.user)).order_by("kind", "name")
    parents = selectors.groups_for(request.user)
    form = Form(request.POST if request.method == "POST" else {})
    if request.method == "POST":
        parent_id = form.get("parent")
        group = attempt(form, lambda: services.group_create(
            name=form.get("name"), code=form.get("code"), purpose=form.get("purpose"),
            side_a_org=mine.filter(code=form.get("side_a_org")).first(),
            side_b_org=others.filter(code=form.get("side_b_org")).first(),
            secretariat_email=form.get("secretariat_email"),
            parent=parents.filter(pk=parent_id).first() if parent_id.isdigit() else None, actor=request.user))
        if group is not None:
            messages.success(request, f"{group.name} set up. Add its members next.")
            return redirect("governance:group_detail", pk=group.pk)
    return page(request, "governance/group_form.html", {
        "mine_options": list(mine.values_list("code", "name")), "other_options": list(others.values_list("code", "name")),
        "parent_options": list(parents.values_list("pk", "name"))}, form)


@governance_required
def group_detail(request, pk):
    group = selectors.group_for(request.user, pk)
    day = today()
    milestones = list(group.milestones.select_related("owner_organisation").prefetch_related("exception_reports"))
    for m in milestones:
        m.overdue = m.is_overdue(day)
        m.latest_report = max(m.exception_reports.all(), key=lambda r: r.reported_at, default=None)
    meetings = list(group.meetings.all())
    for m in meetings:
        m.chair_org = group.side_org(m.chair_side)
        m.minutes_late = m.status == Meeting.Status.HELD and \
            m.minutes_status != Meeting.MinutesStatus.CIRCULATED and day > m.minutes_due_on
    escalated = Issue.objects.filter(group=group, level=Level.JOINT_GROUP,
                                     status__in=[Issue.Status.OPEN, Issue.Status.IN_PROGRESS])
    visible = set(selectors.issues_for(request.user).values_list("pk", flat=True))
    return page(request, "governance/group_detail.html", {
        "group": group, "facts": _group_facts(group, day), "members": group.members.filter(active=True),
        "meetings": meetings, "milestones": milestones, "sides": sorted(services.group_sides(request.user, group)),
        "escalated": [i for i in escalated if i.pk in visible], "subgroups": group.subgroups.all(),
        "history": history(group)})


@governance_required
@require_http_methods(["GET", "POST"])
def member_new(request, pk):
    group = selectors.group_for(request.user, pk)
    sides = services.group_sides(request.user, group)
    form = Form(request.POST if request.method == "POST" else {"side": min(sides) if sides else ""})
    if request.method == "POST":
        member = attempt(form, lambda: services.group_member_add(
            group=group, side=form.get("side"), name=form.get("name"), job_title=form.get("job_title"),
            email=form.get("email"), deputy_name=form.get("deputy_name"), deputy_email=form.get("deputy_email"),
            can_chair=form.get("can_chair") == "yes", actor=request.user))
        if member is not None:
            messages.success(request, f"{member.name} added to {group.name}.")
            return redirect("governance:group_detail", pk=group.pk)
    side_options = [(s, group.side_org(s).name) for s in (Side.A, Side.B) if s in sides]
    return page(request, "governance/member_form.html", {"group": group, "side_options": side_options,
                                                         "yes_no": [("yes", "Yes"), ("no", "No")]}, form)


@governance_required
@require_http_methods(["GET", "POST"])
def meeting_new(request, pk):
    group = selectors.group_for(request.user, pk)
    facts = _group_facts(group, today())
    form = Form(request.POST if request.method == "POST" else {}, dates={"held_on": "The date of the meeting"})
    if request.method == "POST":
        meeting = attempt(form, lambda: services.meeting_schedule(
            group=group, held_on=form.dates["held_on"], location=form.get("location"),
            chair_side=form.get("chair_side") or None, actor=request.user))
        if meeting is not None:
            messages.success(request, f"Meeting scheduled for {meeting.held_on.day} {meeting.held_on:%B %Y}, chaired by "
                                      f"{group.side_org(meeting.chair_side)}.")
            return redirect("governance:meeting_detail", pk=meeting.pk)
    probe = form.dates.get("held_on") or max(today(), facts["due"] if not facts["overdue"] else today())
    expected = services.expected_chair_side(group, probe)
    chair_options = [(s, f"{group.side_org(s).name}" + (" (next in turn)" if s == expected else ""))
                     for s in (Side.A, Side.B)]
    return page(request, "governance/meeting_form.html", {"group": group, "facts": facts,
                                                          "chair_options": chair_options,
                                                          "expected": group.side_org(expected)}, form)


def _meeting_context(request, meeting: Meeting):
    group = meeting.group
    sides = services.group_sides(request.user, group)
    day = today()
    actions = list(meeting.actions.select_related("completed_by"))
    for a in actions:
        a.overdue = a.is_overdue(day)
    reviews = {r.milestone_id: r for r in meeting.reviews.select_related("reviewed_by")}
    milestones = list(group.milestones.all())
    for m in milestones:
        m.review = reviews.get(m.pk)
    open_milestones = [m for m in milestones if m.status != Milestone.Status.COMPLETE or m.review]
    return {
        "meeting": meeting, "group": group, "chair_org": group.side_org(meeting.chair_side), "sides": sides,
        "is_chair_side": meeting.chair_side in sides, "actions": actions, "milestones": open_milestones,
        "unreviewed": [m for m in open_milestones if m.review is None and m.status != Milestone.Status.COMPLETE],
        "can_clear": meeting.minutes_status == Meeting.MinutesStatus.DRAFT
        and any(not meeting.cleared_by_side(s) for s in sides),
        "side_a": group.side_a_org, "side_b": group.side_b_org, "minutes_due": meeting.minutes_due_on,
        "minutes_late": meeting.status == Meeting.Status.HELD and day > meeting.minutes_due_on
        and meeting.minutes_status != Meeting.MinutesStatus.CIRCULATED,
        "history": history(meeting)}


@governance_required
def meeting_detail(request, pk):
    meeting = selectors.meeting_for(request.user, pk)
    return page(request, "governance/meeting_detail.html", _meeting_context(request, meeting), Form({}))


@governance_required
@require_POST
def meeting_act(request, pk):
    meeting = selectors.meeting_for(request.user, pk)
    act = request.POST.get("act", "")
    form = Form(request.POST, dates={"due_on": "The date it is due"} if act == "action" else None)
    calls = {
        "held": lambda: services.meeting_record_held(meeting=meeting, actor=request.user),
        "cancel": lambda: services.meeting_cancel(meeting=meeting, reason=form.get("reason"), actor=request.user),
        "clear": lambda: services.minutes_clear(meeting=meeting, actor=request.user),
        "circulate": lambda: services.minutes_circulate(meeting=meeting, actor=request.user),
        "action": lambda: services.action_add(meeting=meeting, description=form.get("description"),
                                              owner_name=form.get("owner_name"), owner_email=form.get("owner_email"),
                                              due_on=form.dates["due_on"], actor=request.user),
    }
    if act not in calls:
        raise Http404("No such action")
    result = attempt(form, calls[act])
    if result is None:
        ctx = _meeting_context(request, meeting)
        ctx["which"] = act
        return page(request, "governance/meeting_detail.html", ctx, form)
    text = {"held": "Meeting recorded as held. The minutes are due within one week.",
            "cancel": "Meeting cancelled.",
            "clear": "Minutes cleared for your side.",
            "circulate": "Minutes circulated to the members.",
            "action": f"Action {getattr(result, 'reference', '')} added."}[act]
    messages.success(request, text)
    return redirect("governance:meeting_detail", pk=meeting.pk)


@governance_required
@require_http_methods(["GET", "POST"])
def minutes_edit(request, pk):
    meeting = selectors.meeting_for(request.user, pk)
    sides = services.group_sides(request.user, meeting.group)
    if meeting.chair_side not in sides:
        raise PermissionDenied(f"The minutes are drafted by {meeting.group.side_org(meeting.chair_side)}, whose side "
                               f"chaired the meeting.")
    form = Form(request.POST if request.method == "POST" else {"text": meeting.minutes_text})
    if request.method == "POST":
        result = attempt(form, lambda: services.minutes_draft(meeting=meeting, text=form.get("text"),
                                                             actor=request.user))
        if result is not None:
            messages.success(request, "Minutes saved as a draft. Both sides must clear them before they are "
                                      "circulated.")
            return redirect("governance:meeting_detail", pk=meeting.pk)
    return page(request, "governance/minutes_form.html", {"meeting": meeting, "group": meeting.group,
                                                          "minutes_due": meeting.minutes_due_on}, form)


@governance_required
@require_http_methods(["GET", "POST"])
def milestone_new(request, pk):
    group = selectors.group_for(request.user, pk)
    orgs = Organisation.objects.filter(pk__in=services.group_org_ids(group)).order_by("name")
    form = Form(request.POST if request.method == "POST" else {}, dates={"due_on": "The date it is due"})
    if request.method == "POST":
        milestone = attempt(form, lambda: services.milestone_add(
            group=group, title=form.get("title"), owner_name=form.get("owner_name"),
            owner_email=form.get("owner_email"), owner_organisation=orgs.filter(code=form.get("owner_org")).first(),
            due_on=form.dates["due_on"], actor=request.user))
        if milestone is not None:
            messages.success(request, f"Milestone added: {milestone.title}.")
            return redirect("governance:group_detail", pk=group.pk)
    return page(request, "governance/milestone_form.html", {"group": group,
                                                            "org_options": list(orgs.values_list("code", "name"))},
                form)


@governance_required
@require_http_methods(["GET", "POST"])
def milestone_update(request, pk):
    milestone = selectors.milestone_for(request.user, pk)
    group = milestone.group
    meeting_id = request.POST.get("meeting") or request.GET.get("meeting") or ""
    meeting = group.meetings.filter(pk=meeting_id, status=Meeting.Status.HELD).first() if meeting_id.isdigit() \
        else None
    if milestone.status == Milestone.Status.COMPLETE:
        messages.info(request, "This milestone is complete.")
        return redirect("governance:group_detail", pk=group.pk)
    dates_ = {"forecast_on": "The date it is now expected",
              "exception_revised_due_on": "The date it is now expected"}
    form = Form(request.POST if request.method == "POST" else {"status": milestone.status}, dates=dates_)
    if request.method == "POST":
        exception = {"reason": form.get("exception_reason"), "impact": form.get("exception_impact"),
                     "mitigation": form.get("exception_mitigation"),
                     "revised_due_on": form.dates["exception_revised_due_on"]}
        result = attempt(form, lambda: services.milestone_update(
            milestone=milestone, status=form.get("status"), note=form.get("note"), meeting=meeting,
            exception=exception, actor=request.user))
        if result is not None:
            messages.success(request, f"Milestone updated: {result.get_status_display().lower()}.")
            if meeting is not None:
                return redirect("governance:meeting_detail", pk=meeting.pk)
            return redirect("governance:group_detail", pk=group.pk)
    return page(request, "governance/milestone_update.html", {
        "milestone": milestone, "group": group, "meeting": meeting, "statuses": Milestone.Status.choices,
        "reports": milestone.exception_reports.select_related("reported_by")}, form)
