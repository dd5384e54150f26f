"""Every write in partnership working: `<entity>_<verb>(*, …, actor, now=None)`.

Each service is atomic, checks who may do it, validates everything before it writes (a refusal records nothing),
writes a history entry in the same transaction, and queues its e-mails in the outbox, delivered after commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from liaison.core.errors import ApplicationError
from liaison.core.models import Case
from liaison.governance import dates, transitions
from liaison.governance.access import acting_org_ids, acts_for, is_dm_wide, is_gov_user, own_organisation
from liaison.governance.directory import acting_contact
from liaison.governance.evidence import MAX_FILES_PER_UPLOAD, check_upload, sha256_of
from liaison.governance.history import record
from liaison.governance.models import (
    Absence,
    Action,
    Agreement,
    AgreementNotice,
    AgreementVersion,
    Contact,
    Duty,
    EngagementQuestion,
    EngagementResponse,
    EngagementRound,
    EscalationStep,
    Evidence,
    ExceptionReport,
    Group,
    GroupMember,
    Issue,
    IssueCategory,
    Level,
    Meeting,
    Milestone,
    MilestoneReview,
    Participant,
    Side,
    Theme,
    Variation,
    duty_phrase,
    other_side,
)
from liaison.notices.models import OutboxMessage
from liaison.notices.services import schedule_delivery
from liaison.partners.models import Organisation

NOT_ALLOWED = 403


# --- Shared helpers ---------------------------------------------------------------------------------------

class Faults:
    """Collects every fault in what a person sent, so a form shows them all at once."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.items.setdefault(field, message)

    def require(self, value, field: str, message: str):
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(field, message)
        return value.strip() if isinstance(value, str) else value

    def email(self, value: str, field: str, message: str, *, required: bool = False) -> str:
        value = (value or "").strip()
        if not value:
            if required:
                self.add(field, message)
            return ""
        try:
            validate_email(value)
        except ValidationError:
            self.add(field, message)
        return value

    def length(self, value: str, field: str, limit: int, what: str) -> None:
        if value and len(value) > limit:
            self.add(field, f"{what} must be {limit} characters or fewer")

    def raise_if_any(self) -> None:
        if self.items:
            raise ApplicationError(next(iter(self.items.values())), extra={"faults": dict(self.items)})


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def _today(now: dt.datetime) -> dt.date:
    return timezone.localdate(now)


def _refuse(message: str, *, status: int = NOT_ALLOWED, field: str | None = None):
    raise ApplicationError(message, extra={"faults": {field: message}} if field else None, status=status)


def _show(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def site_url(path: str) -> str:
    return getattr(settings, "LIAISON_SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def queue_email(*, to: str, subject: str, body: str, now: dt.datetime) -> OutboxMessage | None:
    """Put an e-mail in the outbox inside the caller's transaction; delivery is scheduled for after commit."""
    if not to:
        return None
    message = OutboxMessage.objects.create(notice=None, to=to, subject=subject[:200], body=body, next_attempt_at=now)
    schedule_delivery()
    return message


# --- 1. Contacts and absences -----------------------------------------------------------------------------

def _check_contact_editor(actor, organisation) -> None:
    if not acts_for(actor, organisation.pk):
        _refuse(f"Only people at {organisation} can change its contacts.")


def _contact_fields(faults: Faults, *, name, job_title, email, phone) -> dict:
    name = faults.require(name, "name", "Enter the contact's name")
    faults.length(name, "name", 120, "Name")
    job_title = (job_title or "").strip()
    faults.length(job_title, "job_title", 120, "Job title")
    email = faults.email(email, "email", "Enter an email address in the correct format, like name@example.gov.uk")
    phone = (phone or "").strip()
    faults.length(phone, "phone", 40, "Telephone number")
    if phone and not re.fullmatch(r"[0-9 +()\-]{6,40}", phone):
        faults.add("phone", "Enter a telephone number, like 01443 688604")
    if not email and not phone and "email" not in faults.items:
        faults.add("email", "Enter an email address or a telephone number, so people can reach the contact")
    return {"name": name, "job_title": job_title, "email": email, "phone": phone}


@transaction.atomic
def contact_create(*, organisation: Organisation, duty: str, position: str = Contact.Position.LEAD, name: str,
                   job_title: str = "", email: str = "", phone: str = "", user=None, actor,
                   now: dt.datetime | None = None) -> Contact:
    now = _now(now)
    _check_contact_editor(actor, organisation)
    faults = Faults()
    if duty not in Duty.values:
        faults.add("duty", "Select what the contact is named for")
    if position not in Contact.Position.values:
        faults.add("position", "Select whether this is the named contact or an alternate")
    fields = _contact_fields(faults, name=name, job_title=job_title, email=email, phone=phone)
    if user is not None and user.organisation_id != organisation.pk:
        faults.add("user", f"The Liaison user must be someone at {organisation}")
    lead = None
    if duty in Duty.values and position == Contact.Position.LEAD:
        lead = Contact.objects.select_for_update().filter(organisation=organisation, duty=duty, active=True,
                                                          position=Contact.Position.LEAD).first()
        if lead is not None:
            faults.add("position", f"{lead.name} is already the named contact for {duty_phrase(duty)}: add "
                                   f"this person as an alternate, or retire {lead.name} first")
    faults.raise_if_any()
    rank = 1
    if position == Contact.Position.ALTERNATE:
        rank = (Contact.objects.filter(organisation=organisation, duty=duty, active=True,
                                       position=Contact.Position.ALTERNATE).aggregate(m=Max("rank"))["m"] or 0) + 1
    contact = Contact.objects.create(organisation=organisation, duty=duty, position=position, rank=rank, user=user,
                                     last_checked_on=_today(now), last_checked_by=actor, created_at=now, **fields)
    record(subject=contact, kind="contact.created", occurred_at=now, actor=actor,
           summary=f"{contact.name} named as {contact.get_position_display().lower()} for "
                   f"{contact.duty_phrase} at {organisation}",
           data={"organisation_id": organisation.pk, **fields})
    return contact


@transaction.atomic
def contact_update(*, contact: Contact, name: str, job_title: str = "", email: str = "", phone: str = "",
                   user=..., actor, now: dt.datetime | None = None) -> Contact:
    """Change a contact's details. Saving them confirms the entry is current (it counts as checked today)."""
    now = _now(now)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _check_contact_editor(actor, contact.organisation)
    if not contact.active:
        _refuse("This contact has been retired: add a new contact instead.", status=409)
    faults = Faults()
    fields = _contact_fields(faults, name=name, job_title=job_title, email=email, phone=phone)
    if user is not ... and user is not None and user.organisation_id != contact.organisation_id:
        faults.add("user", f"The Liaison user must be someone at {contact.organisation}")
    faults.raise_if_any()
    changed = {k: [getattr(contact, k), v] for k, v in fields.items() if getattr(contact, k) != v}
    if user is not ... and user != contact.user:
        changed["user"] = [contact.user.username if contact.user else "", user.username if user else ""]
        contact.user = user
    for key, value in fields.items():
        setattr(contact, key, value)
    contact.last_checked_on, contact.last_checked_by = _today(now), actor
    contact.save()
    what = ", ".join(k.replace("_", " ") for k in changed) or "nothing changed"
    record(subject=contact, kind="contact.updated", occurred_at=now, actor=actor,
           summary=f"Details of {contact.name} updated ({what}) and confirmed current", data={"changed": changed})
    return contact


@transaction.atomic
def contact_confirm(*, contact: Contact, actor, now: dt.datetime | None = None) -> Contact:
    now = _now(now)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _check_contact_editor(actor, contact.organisation)
    if not contact.active:
        _refuse("This contact has been retired.", status=409)
    previous = contact.last_checked_on
    contact.last_checked_on, contact.last_checked_by = _today(now), actor
    contact.save(update_fields=["last_checked_on", "last_checked_by"])
    record(subject=contact, kind="contact.checked", occurred_at=now, actor=actor,
           summary=f"{contact.name}'s details confirmed current (last checked {_show(previous)})",
           data={"previous": previous.isoformat()})
    return contact


@transaction.atomic
def contact_retire(*, contact: Contact, reason: str, actor, now: dt.datetime | None = None) -> Contact:
    now = _now(now)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _check_contact_editor(actor, contact.organisation)
    faults = Faults()
    reason = faults.require(reason, "reason", "Say why the contact is being retired")
    faults.raise_if_any()
    if not contact.active:
        _refuse("This contact has already been retired.", status=409)
    contact.active = False
    contact.save(update_fields=["active"])
    record(subject=contact, kind="contact.retired", occurred_at=now, actor=actor,
           summary=f"{contact.name} retired as {contact.duty_phrase} contact: {reason}",
           data={"reason": reason})
    return contact


@transaction.atomic
def absence_record(*, contact: Contact, starts_on: dt.date | None, ends_on: dt.date | None,
                   delegate_name: str = "", delegate_email: str = "", delegate_phone: str = "", note: str = "",
                   actor, now: dt.datetime | None = None) -> Absence:
    """A planned absence, with the delegate the contact names for it, if any [MoU 5.3]."""
    now = _now(now)
    today = _today(now)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _check_contact_editor(actor, contact.organisation)
    faults = Faults()
    if starts_on is None:
        faults.add("starts_on", "Enter the first day of the absence")
    if ends_on is None:
        faults.add("ends_on", "Enter the last day of the absence")
    if starts_on and ends_on:
        if ends_on < starts_on:
            faults.add("ends_on", "The last day of the absence must be the same as or after the first day")
        elif ends_on < today:
            faults.add("ends_on", "The last day of the absence must be today or in the future")
    delegate_name = (delegate_name or "").strip()
    faults.length(delegate_name, "delegate_name", 120, "Delegate's name")
    delegate_email = faults.email(delegate_email, "delegate_email",
                                  "Enter the delegate's email address in the correct format, like name@example.gov.uk")
    delegate_phone = (delegate_phone or "").strip()[:40]
    if (delegate_email or delegate_phone) and not delegate_name:
        faults.add("delegate_name", "Enter the delegate's name")
    if starts_on and ends_on and "ends_on" not in faults.items:
        clash = Absence.objects.filter(contact=contact, cancelled_at__isnull=True, starts_on__lte=ends_on,
                                       ends_on__gte=starts_on).first()
        if clash:
            faults.add("starts_on", f"{contact.name} is already recorded as away from {_show(clash.starts_on)} to "
                                    f"{_show(clash.ends_on)}")
    if not contact.active:
        faults.add("starts_on", "This contact has been retired")
    faults.raise_if_any()
    absence = Absence.objects.create(contact=contact, starts_on=starts_on, ends_on=ends_on,
                                     delegate_name=delegate_name, delegate_email=delegate_email,
                                     delegate_phone=delegate_phone, note=(note or "").strip()[:300],
                                     recorded_by=actor, recorded_at=now)
    delegate = f"; delegate {delegate_name}" if delegate_name else ""
    record(subject=contact, kind="contact.absence_recorded", occurred_at=now, actor=actor,
           summary=f"{contact.name} away from {_show(starts_on)} to {_show(ends_on)}{delegate}",
           data={"absence_id": absence.pk, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
                 "delegate_name": delegate_name})
    return absence


@transaction.atomic
def absence_cancel(*, absence: Absence, actor, now: dt.datetime | None = None) -> Absence:
    now = _now(now)
    absence = Absence.objects.select_for_update().select_related("contact__organisation").get(pk=absence.pk)
    _check_contact_editor(actor, absence.contact.organisation)
    if absence.cancelled_at is not None:
        _refuse("This absence has already been cancelled.", status=409)
    absence.cancelled_at = now
    absence.save(update_fields=["cancelled_at"])
    record(subject=absence.contact, kind="contact.absence_cancelled", occurred_at=now, actor=actor,
           summary=f"Absence of {absence.contact.name} from {_show(absence.starts_on)} to "
                   f"{_show(absence.ends_on)} cancelled", data={"absence_id": absence.pk})
    return absence


# --- 2. The shared issues log -----------------------------------------------------------------------------

def issue_sides(issue: Issue) -> set[int]:
    """The organisations party to an entry: who raised it, who it concerns, and who it is routed to."""
    return {i for i in (issue.raised_by_org_id, issue.concerns_id, issue.routed_to_org_id) if i}


def _check_issue_party(actor, issue: Issue) -> None:
    if not (acting_org_ids(actor) & issue_sides(issue)):
        _refuse("Only the parties to this entry can change it.", status=404)


def _is_raiser_side(actor, issue: Issue) -> bool:
    return acts_for(actor, issue.raised_by_org_id)


def concern_choices(user):
    """The parties a user's organisation can raise an entry about."""
    own = acting_org_ids(user)
    if getattr(user, "is_la_user", False):
        qs = Organisation.objects.filter(kind=Organisation.Kind.DM_UNIT)
    elif is_gov_user(user):
        qs = Organisation.objects.filter(kind__in=[Organisation.Kind.GOVERNMENT, Organisation.Kind.DM_UNIT])
    else:
        qs = Organisation.objects.filter(active=True)
    return qs.exclude(pk__in=own).order_by("kind", "name")


def parse_case_references(text: str) -> list[str]:
    return [r.upper() for r in re.split(r"[\s,;]+", text or "") if r.strip()]


def _cases(references: Iterable[str], parties: set[int], faults: Faults) -> list[Case]:
    found = []
    for ref in references:
        match = re.fullmatch(r"C(\d{1,9})", ref)
        case = Case.objects.filter(pk=int(match.group(1))).first() if match else None
        if case is None or case.la_id not in parties:
            faults.add("cases", f"{ref} is not a case reference of a party to this entry: case references look "
                                f"like C0000123")
            continue
        found.append(case)
    return found


def _route_target(issue: Issue, level: int) -> tuple[Organisation | None, str, Group | None]:
    """Where an entry at `level` goes: (organisation, duty, group) by its category's escalation route."""
    step = EscalationStep.objects.filter(category=issue.category, level=level).first()
    if level == Level.JOINT_GROUP:
        return None, "", _joint_group(issue, step.group_code if step else "")
    duty = (step.duty if step and step.duty else Duty.SPOC)
    concerns = issue.concerns
    org = concerns
    if concerns.kind == Organisation.Kind.DM_UNIT and step and step.dm_unit:
        raiser = issue.raised_by_org
        if step.dm_unit == Organisation.Unit.CCG_SITE:
            if concerns.unit == Organisation.Unit.CCG_SITE:
                org = concerns
            elif raiser.kind == Organisation.Kind.LOCAL_AUTHORITY and raiser.ccg_site_id:
                org = raiser.ccg_site
            else:  # SLA A8: with no notice of recovery held, Dearne Valley
                org = Organisation.objects.filter(code="DM-CCG-DEARNE").first() or concerns
        else:
            org = Organisation.objects.filter(unit=step.dm_unit, kind=Organisation.Kind.DM_UNIT).first() or concerns
    return org, duty, None


def _joint_group(issue: Issue, group_code: str) -> Group | None:
    parties = {issue.raised_by_org_id, issue.concerns_id}
    groups = list(Group.objects.filter(active=True).prefetch_related("members"))

    def orgs_of(group):
        return {group.side_a_org_id, group.side_b_org_id} | {m.organisation_id for m in group.members.all()}

    both = [g for g in groups if parties <= orgs_of(g) or (
        _dm_in(parties) and {p for p in parties if not _is_dm(p)} <= orgs_of(g) and _dm_in(orgs_of(g)))]
    if both:
        return both[0]
    return next((g for g in groups if g.code == group_code), None)


def _dm_ids() -> frozenset[int]:
    return frozenset(Organisation.objects.filter(kind=Organisation.Kind.DM_UNIT).values_list("id", flat=True))


def _is_dm(org_id: int) -> bool:
    return org_id in _dm_ids()


def _dm_in(org_ids: set[int]) -> bool:
    return bool(org_ids & _dm_ids())


def _route(issue: Issue, level: int, *, now: dt.datetime, actor) -> None:
    """Set who the entry is routed to at `level`, and e-mail them (after commit)."""
    org, duty, group = _route_target(issue, level)
    issue.level = level
    issue.group = group
    if group is not None:
        issue.routed_to_org = None
        issue.routed_to_duty = ""
        issue.routed_to_name = group.name
        issue.routed_to_email = group.secretariat_email
        issue.routed_to_basis = f"Referred to {group.name} for its next meeting (JSOG: the escalation route for " \
                                f"decisions unable to be resolved at an official level)."
        issue.owner = None
    else:
        acting = acting_contact(organisation=org, duty=duty, on=_today(now))
        issue.routed_to_org = org
        issue.routed_to_duty = duty
        issue.routed_to_name = acting.name or f"{org} (nobody named)"
        issue.routed_to_email = acting.email
        issue.routed_to_basis = " ".join(acting.steps)[:300]
        issue.owner = acting.user if acting.user and acting.user.is_active else None
    url = site_url(reverse("governance:issue_detail", args=[issue.pk]))
    queue_email(to=issue.routed_to_email, now=now,
                subject=f"Issues log {issue.reference}: {issue.title} ({Level(level).label})",
                body=(f"An entry in the shared issues log has been routed to you.\n\n"
                      f"{issue.reference}: {issue.title}\nCategory: {issue.category.name}\n"
                      f"Raised by: {issue.raised_by_org}\nConcerns: {issue.concerns}\n"
                      f"Level: {Level(level).label}\n\n{url}\n"))


@transaction.atomic
def issue_raise(*, kind: str, category: IssueCategory | None, title: str, description: str,
                concerns: Organisation | None, case_references: Iterable[str] = (), files: Iterable = (), actor,
                now: dt.datetime | None = None) -> Issue:
    now = _now(now)
    own = own_organisation(actor)
    if own is None or not acting_org_ids(actor):
        _refuse("Only people at a party to the agreement can raise an entry.")
    faults = Faults()
    if kind not in Issue.Kind.values:
        faults.add("kind", "Select whether this is a question, an idea, an issue or a concern")
    if category is None or not category.active:
        faults.add("category", "Select a category")
    title = faults.require(title, "title", "Enter a short title")
    faults.length(title, "title", 200, "Title")
    description = faults.require(description, "description", "Describe the question, idea, issue or concern")
    faults.length(description, "description", 10_000, "Description")
    if concerns is None or not concern_choices(actor).filter(pk=concerns.pk).exists():
        faults.add("concerns", "Select the party this concerns")
    parties = {own.pk, concerns.pk} if concerns is not None else {own.pk}
    cases = _cases(list(dict.fromkeys(case_references)), parties, faults)
    uploads = _check_files(files, faults)
    faults.raise_if_any()
    issue = Issue.objects.create(kind=kind, category=category, title=title, description=description, raised_by=actor,
                                 raised_by_org=own, raised_at=now, concerns=concerns, updated_at=now)
    issue.cases.set(cases)
    _route(issue, Level.CONTACT_AGENT, now=now, actor=actor)
    issue.save()
    record(subject=issue, kind="issue.raised", occurred_at=now, actor=actor,
           summary=f"{issue.get_kind_display()} raised by {own} about {concerns}: {title}",
           data={"category": category.code, "cases": [c.reference for c in cases]})
    record(subject=issue, kind="issue.routed", occurred_at=now, actor=actor,
           summary=f"Routed to {issue.routed_to_name} ({Level(issue.level).label.lower()}). {issue.routed_to_basis}",
           data={"level": issue.level, "organisation_id": issue.routed_to_org_id, "duty": issue.routed_to_duty})
    _store_evidence(issue, uploads, actor=actor, now=now)
    return issue


def _check_files(files: Iterable, faults: Faults) -> list[tuple]:
    uploads = [f for f in files if f is not None]
    if len(uploads) > MAX_FILES_PER_UPLOAD:
        faults.add("evidence", f"Select up to {MAX_FILES_PER_UPLOAD} files at a time")
        return []
    checked = []
    for upload in uploads:
        fault, content_type = check_upload(upload)
        if fault:
            faults.add("evidence", fault)
        else:
            checked.append((upload, content_type))
    return checked


def _store_evidence(issue: Issue, uploads: list[tuple], *, actor, now) -> list[Evidence]:
    stored = []
    for upload, content_type in uploads:
        name = Path(upload.name).name[:200]
        evidence = Evidence(issue=issue, original_name=name, content_type=content_type, size_bytes=upload.size,
                            sha256=sha256_of(upload), uploaded_by=actor, uploaded_at=now)
        # Everything was checked before this point, so the file is written only for a record that will be kept.
        evidence.file.save(f"{secrets.token_hex(8)}{Path(name).suffix.lower()}", upload, save=False)
        evidence.save()
        stored.append(evidence)
        record(subject=issue, kind="issue.evidence_added", occurred_at=now, actor=actor,
               summary=f"Evidence added: {name} ({upload.size:,} bytes)",
               data={"evidence_id": evidence.pk, "sha256": evidence.sha256})
    return stored


@transaction.atomic
def evidence_add(*, issue: Issue, files: Iterable, actor, now: dt.datetime | None = None) -> list[Evidence]:
    now = _now(now)
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    _check_issue_party(actor, issue)
    faults = Faults()
    uploads = _check_files(files, faults)
    if not uploads and not faults.items:
        faults.add("evidence", "Select a file to add")
    faults.raise_if_any()
    stored = _store_evidence(issue, uploads, actor=actor, now=now)
    issue.updated_at = now
    issue.save(update_fields=["updated_at"])
    return stored


@transaction.atomic
def issue_escalate(*, issue: Issue, reason: str, actor, now: dt.datetime | None = None) -> Issue:
    """Up one level, with a reason: disputes are resolved at the lowest practicable level [SLA 13.2]."""
    now = _now(now)
    issue = Issue.objects.select_for_update().select_related("category", "raised_by_org", "concerns").get(pk=issue.pk)
    _check_issue_party(actor, issue)
    faults = Faults()
    reason = faults.require(reason, "reason", "Say why the entry cannot be resolved at this level")
    faults.length(reason, "reason", 2000, "Reason")
    if not issue.is_open:
        faults.add("reason", f"This entry is {issue.get_status_display().lower()}: only an open entry can be "
                             f"escalated")
    elif issue.level >= Level.JOINT_GROUP:
        faults.add("reason", "This entry is already with the joint senior group, the highest level")
    faults.raise_if_any()
    before = issue.level
    target = before + 1
    if target == Level.JOINT_GROUP and _route_target(issue, target)[2] is None:
        _refuse("No governance group includes both parties to this entry: set one up before escalating it to the "
                "joint senior group.", status=409, field="reason")
    _route(issue, target, now=now, actor=actor)
    issue.updated_at = now
    issue.save()
    record(subject=issue, kind="issue.escalated", occurred_at=now, actor=actor,
           summary=f"Escalated from {Level(before).label.lower()} to {Level(target).label.lower()}: {reason}",
           data={"from": before, "to": target, "reason": reason})
    record(subject=issue, kind="issue.routed", occurred_at=now, actor=actor,
           summary=f"Routed to {issue.routed_to_name} ({Level(target).label.lower()}). {issue.routed_to_basis}",
           data={"level": target, "organisation_id": issue.routed_to_org_id, "duty": issue.routed_to_duty,
                 "group_id": issue.group_id})
    return issue


RAISER_ONLY = {Issue.Status.CLOSED: "close", Issue.Status.WITHDRAWN: "withdraw"}


@transaction.atomic
def issue_set_status(*, issue: Issue, status: str, note: str = "", actor, now: dt.datetime | None = None) -> Issue:
    now = _now(now)
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    _check_issue_party(actor, issue)
    faults = Faults()
    if status not in Issue.Status.values:
        faults.add("status", "Select the new status")
        faults.raise_if_any()
    transitions.check("issue", issue.status, status)
    if status in RAISER_ONLY and not _is_raiser_side(actor, issue):
        _refuse(f"Only {issue.raised_by_org}, who raised this entry, can {RAISER_ONLY[status]} it.", field="status")
    note = (note or "").strip()
    if status == Issue.Status.RESOLVED and not note:
        faults.add("note", "Say how it was resolved")
    faults.length(note, "note", 2000, "Note")
    faults.raise_if_any()
    before = issue.status
    issue.status = status
    if status == Issue.Status.RESOLVED:
        issue.resolution = note
    issue.updated_at = now
    issue.save()
    record(subject=issue, kind="issue.status_changed", occurred_at=now, actor=actor,
           summary=f"Status changed from {Issue.Status(before).label.lower()} to "
                   f"{Issue.Status(status).label.lower()}" + (f": {note}" if note else ""),
           data={"from": before, "to": status, "note": note})
    return issue


@transaction.atomic
def issue_assign(*, issue: Issue, owner, actor, now: dt.datetime | None = None) -> Issue:
    now = _now(now)
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    _check_issue_party(actor, issue)
    if owner is None or not owner.is_active or not (acting_org_ids(owner) & issue_sides(issue)):
        _refuse("The owner must be someone at a party to this entry.", field="owner")
    if not issue.is_open:
        _refuse(f"This entry is {issue.get_status_display().lower()}: it needs no owner now.", status=409,
                field="owner")
    before = issue.owner
    issue.owner = owner
    issue.updated_at = now
    issue.save(update_fields=["owner", "updated_at"])
    record(subject=issue, kind="issue.owner_changed", occurred_at=now, actor=actor,
           summary=f"Owner: {owner.display_name} ({owner.organisation})"
                   + (f", was {before.display_name}" if before else ""),
           data={"owner_id": owner.pk, "previous_owner_id": before.pk if before else None})
    return issue


@transaction.atomic
def issue_comment(*, issue: Issue, text: str, actor, now: dt.datetime | None = None) -> Issue:
    now = _now(now)
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    _check_issue_party(actor, issue)
    faults = Faults()
    text = faults.require(text, "text", "Enter the update")
    faults.length(text, "text", 2000, "Update")
    faults.raise_if_any()
    issue.updated_at = now
    issue.save(update_fields=["updated_at"])
    record(subject=issue, kind="issue.commented", occurred_at=now, actor=actor, summary=text, data={"text": text})
    return issue


# --- Actions (on an entry, or from a meeting) ------------------------------------------------------------

@transaction.atomic
def action_add(*, issue: Issue | None = None, meeting: Meeting | None = None, description: str, owner_name: str,
               owner_email: str = "", owner_organisation: Organisation | None = None, due_on: dt.date | None,
               actor, now: dt.datetime | None = None) -> Action:
    now = _now(now)
    if (issue is None) == (meeting is None):
        raise ValueError("an action belongs to an issue or a meeting")
    subject = issue or meeting
    if issue is not None:
        issue = Issue.objects.select_for_update().get(pk=issue.pk)
        _check_issue_party(actor, issue)
        if not issue.is_open:
            _refuse(f"This entry is {issue.get_status_display().lower()}: reopen it to add actions.", status=409,
                    field="description")
    else:
        meeting = Meeting.objects.select_related("group").get(pk=meeting.pk)
        _check_group_member(actor, meeting.group)
        if meeting.status == Meeting.Status.CANCELLED:
            _refuse("This meeting was cancelled.", status=409, field="description")
    faults = Faults()
    description = faults.require(description, "description", "Describe the action")
    faults.length(description, "description", 400, "Action")
    owner_name = faults.require(owner_name, "owner_name", "Enter who will do it")
    faults.length(owner_name, "owner_name", 120, "Owner")
    owner_email = faults.email(owner_email, "owner_email",
                               "Enter an email address in the correct format, like name@example.gov.uk")
    if due_on is None:
        faults.add("due_on", "Enter the date it is due")
    elif due_on < _today(now) and issue is not None:
        faults.add("due_on", "The date it is due must be today or in the future")
    faults.raise_if_any()
    action = Action.objects.create(issue=issue, meeting=meeting, description=description, owner_name=owner_name,
                                   owner_email=owner_email, owner_organisation=owner_organisation, due_on=due_on,
                                   created_by=actor, created_at=now)
    record(subject=subject, kind="action.added", occurred_at=now, actor=actor,
           summary=f"Action {action.reference} for {owner_name}, due {_show(due_on)}: {description}",
           data={"action_id": action.pk, "due_on": due_on.isoformat()})
    if issue is not None:
        Issue.objects.filter(pk=issue.pk).update(updated_at=now)
    return action


def _check_action_party(actor, action: Action) -> None:
    if action.issue_id:
        _check_issue_party(actor, action.issue)
    else:
        _check_group_member(actor, action.meeting.group)


@transaction.atomic
def action_complete(*, action: Action, note: str = "", actor, now: dt.datetime | None = None) -> Action:
    return _action_close(action=action, status=Action.Status.DONE, note=note, actor=actor, now=now)


@transaction.atomic
def action_cancel(*, action: Action, note: str, actor, now: dt.datetime | None = None) -> Action:
    return _action_close(action=action, status=Action.Status.CANCELLED, note=note, actor=actor, now=now)


def _action_close(*, action, status, note, actor, now) -> Action:
    now = _now(now)
    action = (Action.objects.select_for_update(of=("self",))  # its issue or meeting is an outer join
              .select_related("issue", "meeting__group").get(pk=action.pk))
    _check_action_party(actor, action)
    note = (note or "").strip()
    if action.status != Action.Status.OPEN:
        _refuse(f"Action {action.reference} is already {action.get_status_display().lower()}.", status=409,
                field="note")
    if status == Action.Status.CANCELLED and not note:
        _refuse("Say why the action is cancelled.", status=400, field="note")
    action.status = status
    action.completed_on = _today(now)
    action.completed_by = actor
    action.completion_note = note[:400]
    action.save()
    late = action.completed_on > action.due_on
    verb = "done" if status == Action.Status.DONE else "cancelled"
    record(subject=action.issue or action.meeting, kind=f"action.{verb}", occurred_at=now, actor=actor,
           summary=f"Action {action.reference} {verb}" + (" (after its due date)" if late and verb == "done" else "")
                   + (f": {note}" if note else ""), data={"action_id": action.pk, "late": late})
    return action


# --- 3. The agreement -------------------------------------------------------------------------------------

def agreement_side(actor, agreement: Agreement) -> str | None:
    orgs = acting_org_ids(actor)
    if agreement.party_a_id in orgs:
        return Side.A
    if agreement.party_b_id in orgs:
        return Side.B
    return None


def _check_agreement_party(actor, agreement: Agreement) -> str:
    side = agreement_side(actor, agreement)
    if side is None:
        _refuse("Only the parties to this agreement can change it.", status=404)
    return side


def can_create_agreements(user) -> bool:
    return is_dm_wide(user) or is_gov_user(user)


@transaction.atomic
def agreement_create(*, reference: str, title: str, kind: str, party_a: Organisation | None,
                     party_b: Organisation | None, starts_on: dt.date | None, term_years: int = dates.TERM_YEARS,
                     actor, now: dt.datetime | None = None) -> Agreement:
    now = _now(now)
    if not can_create_agreements(actor):
        _refuse("Only DWP Debt Management's SLA liaison officers and the governments can set up agreements.")
    faults = Faults()
    reference = faults.require(reference, "reference", "Enter a reference for the agreement")
    reference = reference.upper() if reference else reference
    if reference and not re.fullmatch(r"[A-Z0-9][A-Z0-9/\-]{1,39}", reference):
        faults.add("reference", "The reference must be letters, numbers, hyphens or slashes, like SLA-E08000035")
    elif reference and Agreement.objects.filter(reference=reference).exists():
        faults.add("reference", f"There is already an agreement {reference}")
    title = faults.require(title, "title", "Enter the agreement's title")
    faults.length(title, "title", 200, "Title")
    if kind not in Agreement.Kind.values:
        faults.add("kind", "Select the kind of agreement")
    if party_a is None or not acts_for(actor, party_a.pk):
        faults.add("party_a", "Select your own organisation as the first party")
    if party_b is None:
        faults.add("party_b", "Select the other party")
    elif party_a is not None and party_a.pk == party_b.pk:
        faults.add("party_b", "The other party must be a different organisation")
    if starts_on is None:
        faults.add("starts_on", "Enter the date the agreement starts")
    if not 1 <= int(term_years or 0) <= 10:
        faults.add("term_years", "The term must be between 1 and 10 years")
    faults.raise_if_any()
    expires_on = dates.term_end(starts_on, term_years)
    agreement = Agreement.objects.create(reference=reference, title=title, kind=kind, party_a=party_a,
                                         party_b=party_b, starts_on=starts_on, term_years=term_years,
                                         expires_on=expires_on, created_by=actor, created_at=now)
    record(subject=agreement, kind="agreement.created", occurred_at=now, actor=actor,
           summary=f"Agreement {reference} between {party_a} and {party_b}: {term_years} years from "
                   f"{_show(starts_on)} to {_show(expires_on)}; extension talks from "
                   f"{_show(agreement.extension_talks_from)}",
           data={"starts_on": starts_on.isoformat(), "expires_on": expires_on.isoformat()})
    return agreement


@transaction.atomic
def agreement_version_issue(*, agreement: Agreement, number: str, issued_on: dt.date | None, reason: str,
                            document=None, actor, now: dt.datetime | None = None) -> AgreementVersion:
    """Issue a new version; every variation both parties have agreed is incorporated into it [SLA 6.2, 11.3]."""
    now = _now(now)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _check_agreement_party(actor, agreement)
    faults = Faults()
    number = faults.require(number, "number", "Enter the version number, like 3.0")
    if number and not re.fullmatch(r"\d{1,3}(\.\d{1,3})?", number):
        faults.add("number", "The version number must be like 3.0")
    elif number and agreement.versions.filter(number=number).exists():
        faults.add("number", f"Version {number} has already been issued")
    if issued_on is None:
        faults.add("issued_on", "Enter the date the version was issued")
    elif issued_on > _today(now):
        faults.add("issued_on", "The date issued must be today or in the past")
    reason = faults.require(reason, "reason", "Enter the reason for issue")
    faults.length(reason, "reason", 300, "Reason for issue")
    if document is not None:
        fault, _ = check_upload(document)
        if fault:
            faults.add("document", fault)
    if agreement.status != Agreement.Status.ACTIVE:
        faults.add("number", "This agreement has ended")
    faults.raise_if_any()
    sequence = (agreement.versions.aggregate(m=Max("sequence"))["m"] or 0) + 1
    version = AgreementVersion(agreement=agreement, sequence=sequence, number=number, issued_on=issued_on,
                               reason=reason, issued_by=actor, created_at=now)
    if document is not None:
        version.document_name = Path(document.name).name[:200]
        version.document.save(f"v{number}-{secrets.token_hex(6)}{Path(document.name).suffix.lower()}", document,
                               save=False)
    version.save()
    incorporated = list(agreement.variations.select_for_update().filter(status=Variation.Status.AGREED))
    for variation in incorporated:
        transitions.check("variation", variation.status, Variation.Status.INCORPORATED)
        variation.status = Variation.Status.INCORPORATED
        variation.incorporated_in = version
        variation.save(update_fields=["status", "incorporated_in"])
    names = ", ".join(f"{v.appendix} ({v.title})" for v in incorporated)
    record(subject=agreement, kind="agreement.version_issued", occurred_at=now, actor=actor,
           summary=f"Version {number} issued on {_show(issued_on)}: {reason}"
                   + (f". Incorporates {names}" if names else ""),
           data={"version_id": version.pk, "number": number, "variations": [v.pk for v in incorporated]})
    return version


@transaction.atomic
def variation_request(*, agreement: Agreement, title: str, description: str, reason: str = "", actor,
                      now: dt.datetime | None = None) -> Variation:
    """Either party requests a variation [SLA 6.1]; requesting it records the requesting party's agreement."""
    now = _now(now)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    side = _check_agreement_party(actor, agreement)
    faults = Faults()
    title = faults.require(title, "title", "Enter a short title for the variation")
    faults.length(title, "title", 200, "Title")
    description = faults.require(description, "description", "Describe the change, as it should read in the appendix")
    faults.length(description, "description", 20_000, "Description")
    reason = (reason or "").strip()
    faults.length(reason, "reason", 400, "Reason")
    if agreement.status != Agreement.Status.ACTIVE:
        faults.add("title", "This agreement has ended")
    faults.raise_if_any()
    variation = Variation(agreement=agreement, title=title, description=description, reason=reason,
                          requested_by_side=side, requested_by=actor, requested_at=now)
    setattr(variation, f"agreed_{side.lower()}_by", actor)
    setattr(variation, f"agreed_{side.lower()}_at", now)
    variation.save()
    other = agreement.party(other_side(side))
    record(subject=agreement, kind="variation.requested", occurred_at=now, actor=actor,
           summary=f"Variation requested by {agreement.party(side)}: {title}. Waiting for {other} to agree.",
           data={"variation_id": variation.pk})
    _email_party(agreement, other_side(side), now=now, subject=f"{agreement.reference}: variation requested",
                 body=f"{agreement.party(side)} has requested a variation to {agreement.title}: {title}.\n\n"
                      f"{site_url(reverse('governance:agreement_detail', args=[agreement.pk]))}\n")
    return variation


@transaction.atomic
def variation_agree(*, variation: Variation, actor, now: dt.datetime | None = None) -> Variation:
    now = _now(now)
    variation = Variation.objects.select_for_update().select_related("agreement").get(pk=variation.pk)
    agreement = variation.agreement
    side = _check_agreement_party(actor, agreement)
    if variation.agreed_by_side(side):
        _refuse(f"{agreement.party(side)} has already agreed this variation.", status=409)
    transitions.check("variation", variation.status, Variation.Status.AGREED)
    setattr(variation, f"agreed_{side.lower()}_by", actor)
    setattr(variation, f"agreed_{side.lower()}_at", now)
    variation.status = Variation.Status.AGREED
    numbered = Variation.objects.filter(agreement=agreement).exclude(appendix="").count()
    variation.appendix = f"Appendix V{numbered + 1}"
    variation.save()
    record(subject=agreement, kind="variation.agreed", occurred_at=now, actor=actor,
           summary=f"Variation agreed by both parties ({agreement.party(side)} agreed last): {variation.title}. "
                   f"Documented as {variation.appendix}; incorporated at the next version.",
           data={"variation_id": variation.pk, "appendix": variation.appendix})
    return variation


@transaction.atomic
def variation_decline(*, variation: Variation, reason: str, actor, now: dt.datetime | None = None) -> Variation:
    return _variation_close(variation=variation, status=Variation.Status.DECLINED, reason=reason, actor=actor,
                            now=now)


@transaction.atomic
def variation_withdraw(*, variation: Variation, reason: str, actor, now: dt.datetime | None = None) -> Variation:
    return _variation_close(variation=variation, status=Variation.Status.WITHDRAWN, reason=reason, actor=actor,
                            now=now)


def _variation_close(*, variation, status, reason, actor, now) -> Variation:
    now = _now(now)
    variation = Variation.objects.select_for_update().select_related("agreement").get(pk=variation.pk)
    agreement = variation.agreement
    side = _check_agreement_party(actor, agreement)
    transitions.check("variation", variation.status, status, field="reason")
    requester = side == variation.requested_by_side
    if status == Variation.Status.DECLINED and requester:
        _refuse("A party cannot decline its own request: withdraw it instead.", field="reason")
    if status == Variation.Status.WITHDRAWN and not requester:
        _refuse(f"Only {agreement.party(variation.requested_by_side)}, who requested it, can withdraw it.",
                field="reason")
    reason = (reason or "").strip()
    if not reason:
        _refuse("Give the reason.", status=400, field="reason")
    variation.status = status
    variation.closed_reason = reason[:400]
    variation.save(update_fields=["status", "closed_reason"])
    record(subject=agreement, kind=f"variation.{status.lower()}", occurred_at=now, actor=actor,
           summary=f"Variation {Variation.Status(status).label.lower()} by {agreement.party(side)}: "
                   f"{variation.title}. {reason}", data={"variation_id": variation.pk})
    return variation


def _email_party(agreement: Agreement, side: str, *, now, subject: str, body: str) -> None:
    party = agreement.party(side)
    acting = acting_contact(organisation=party, duty=Duty.AUTHORISED_OFFICER, on=_today(now))
    queue_email(to=acting.email or party.intake_email, subject=subject, body=body, now=now)


@transaction.atomic
def notice_serve(*, agreement: Agreement, kind: str, served_on: dt.date | None, details: str, grounds: str = "",
                 actor, now: dt.datetime | None = None) -> AgreementNotice:
    """Serve a notice of default (30 days to remedy) or of termination (effective after 90 days) [SLA 14]."""
    now = _now(now)
    today = _today(now)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    side = _check_agreement_party(actor, agreement)
    faults = Faults()
    if kind not in AgreementNotice.Kind.values:
        faults.add("kind", "Select the kind of notice")
    if served_on is None:
        faults.add("served_on", "Enter the date the notice is served")
    elif served_on > today:
        faults.add("served_on", "The date served must be today or in the past")
    elif served_on < agreement.starts_on:
        faults.add("served_on", "The date served must be on or after the agreement started")
    details = faults.require(details, "details", "Set out the default, or the reasons for termination")
    faults.length(details, "details", 20_000, "Details")
    if agreement.status != Agreement.Status.ACTIVE:
        faults.add("kind", "This agreement has ended")
    default_notice = None
    if kind == AgreementNotice.Kind.TERMINATION:
        if grounds not in AgreementNotice.Grounds.values:
            faults.add("grounds", "Select the grounds for termination")
        pending = agreement.notices.filter(kind=AgreementNotice.Kind.TERMINATION,
                                           status=AgreementNotice.Status.SERVED).first()
        if pending is not None:
            faults.add("kind", f"A notice of termination served on {_show(pending.served_on)} already takes effect "
                               f"on {_show(pending.deadline)}")
        if grounds == AgreementNotice.Grounds.DEFAULT and served_on is not None:
            defaults = list(agreement.notices.filter(kind=AgreementNotice.Kind.DEFAULT, served_by_side=side,
                                                     status=AgreementNotice.Status.SERVED).order_by("served_on"))
            default_notice = next((d for d in defaults if d.deadline < served_on), None)
            if default_notice is None:
                if defaults:
                    first = defaults[0]
                    faults.add("grounds", f"The other party has until {_show(first.deadline)} to remedy the default "
                                          f"notified on {_show(first.served_on)}: you can serve notice of "
                                          f"termination for default from {_show(first.deadline + dt.timedelta(1))}")
                else:
                    faults.add("grounds", "To terminate for default, first serve a notice of default and allow 30 "
                                          "days to remedy it (SLA 14.2)")
    elif kind == AgreementNotice.Kind.DEFAULT:
        grounds = ""
    faults.raise_if_any()
    deadline = (dates.remedy_deadline(served_on) if kind == AgreementNotice.Kind.DEFAULT
                else dates.termination_effective(served_on))
    notice = AgreementNotice.objects.create(agreement=agreement, kind=kind, grounds=grounds,
                                            default_notice=default_notice, served_by_side=side, served_by=actor,
                                            served_on=served_on, deadline=deadline, details=details,
                                            recorded_at=now)
    server, other = agreement.party(side), agreement.party(other_side(side))
    if kind == AgreementNotice.Kind.DEFAULT:
        summary = (f"Notice of default {notice.reference} served by {server} on {other} on {_show(served_on)}: "
                   f"to be remedied by {_show(deadline)} (30 days, SLA 14.2)")
    else:
        summary = (f"Notice of termination {notice.reference} served by {server} on {_show(served_on)} "
                   f"({notice.get_grounds_display()}): the agreement ends on {_show(deadline)} (90 days, SLA 14.3-14.4)")
    record(subject=agreement, kind=f"notice.{kind.lower()}_served", occurred_at=now, actor=actor, summary=summary,
           data={"notice_id": notice.pk, "served_on": served_on.isoformat(), "deadline": deadline.isoformat()})
    for each in (Side.A, Side.B):
        _email_party(agreement, each, now=now, subject=f"{agreement.reference}: {notice.get_kind_display().lower()}",
                     body=f"{summary}.\n\n{details}\n\n"
                          f"{site_url(reverse('governance:agreement_detail', args=[agreement.pk]))}\n")
    return notice


@transaction.atomic
def notice_remedied(*, notice: AgreementNotice, note: str, actor, now: dt.datetime | None = None) -> AgreementNotice:
    """The serving party records that the default was remedied to its satisfaction [SLA 14.2]."""
    return _notice_close(notice=notice, status=AgreementNotice.Status.REMEDIED, note=note, actor=actor, now=now)


@transaction.atomic
def notice_withdraw(*, notice: AgreementNotice, note: str, actor, now: dt.datetime | None = None) -> AgreementNotice:
    return _notice_close(notice=notice, status=AgreementNotice.Status.WITHDRAWN, note=note, actor=actor, now=now)


def _notice_close(*, notice, status, note, actor, now) -> AgreementNotice:
    now = _now(now)
    notice = AgreementNotice.objects.select_for_update().select_related("agreement").get(pk=notice.pk)
    agreement = notice.agreement
    side = _check_agreement_party(actor, agreement)
    transitions.check("notice", notice.status, status, field="note")
    if status == AgreementNotice.Status.REMEDIED and notice.kind != AgreementNotice.Kind.DEFAULT:
        _refuse("Only a notice of default is remedied.", status=409, field="note")
    if side != notice.served_by_side:
        _refuse(f"Only {agreement.party(notice.served_by_side)}, who served the notice, can record this.",
                field="note")
    note = (note or "").strip()
    if not note:
        _refuse("Add a note saying what happened.", status=400, field="note")
    notice.status = status
    notice.closed_on = _today(now)
    notice.closed_by = actor
    notice.close_note = note[:400]
    notice.save()
    record(subject=agreement, kind=f"notice.{status.lower()}", occurred_at=now, actor=actor,
           summary=f"{notice.get_kind_display()} {notice.reference} {AgreementNotice.Status(status).label.lower()}: "
                   f"{note}", data={"notice_id": notice.pk})
    return notice


@transaction.atomic
def agreements_apply_terminations(*, now: dt.datetime | None = None, today: dt.date | None = None) -> list[Agreement]:
    """End every agreement whose notice of termination has taken effect by `today` (run daily; idempotent)."""
    now = _now(now)
    today = today or _today(now)
    ended = []
    for notice in (AgreementNotice.objects.select_for_update().select_related("agreement")
                   .filter(kind=AgreementNotice.Kind.TERMINATION, status=AgreementNotice.Status.SERVED,
                           deadline__lte=today)):
        transitions.check("notice", notice.status, AgreementNotice.Status.EFFECTIVE)
        notice.status = AgreementNotice.Status.EFFECTIVE
        notice.closed_on = notice.deadline
        notice.save(update_fields=["status", "closed_on"])
        agreement = notice.agreement
        agreement.status, agreement.ended_on = Agreement.Status.ENDED, notice.deadline
        agreement.ended_reason = f"Terminated by notice {notice.reference} served on {_show(notice.served_on)}"
        agreement.save(update_fields=["status", "ended_on", "ended_reason"])
        record(subject=agreement, kind="agreement.terminated", occurred_at=now, actor=None,
               summary=f"Agreement ended on {_show(notice.deadline)}: notice of termination {notice.reference} "
                       f"took effect", data={"notice_id": notice.pk})
        ended.append(agreement)
    return ended


@transaction.atomic
def agreement_extension_talks_start(*, agreement: Agreement, actor, now: dt.datetime | None = None) -> Agreement:
    now = _now(now)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _check_agreement_party(actor, agreement)
    if agreement.status != Agreement.Status.ACTIVE:
        _refuse("This agreement has ended.", status=409)
    if agreement.extension_talks_started_on:
        _refuse(f"Extension talks were recorded as started on {_show(agreement.extension_talks_started_on)}.",
                status=409)
    agreement.extension_talks_started_on = _today(now)
    agreement.save(update_fields=["extension_talks_started_on"])
    record(subject=agreement, kind="agreement.extension_talks_started", occurred_at=now, actor=actor,
           summary=f"Talks on extending the agreement beyond {_show(agreement.expires_on)} started")
    return agreement


@transaction.atomic
def agreement_extend(*, agreement: Agreement, new_expires_on: dt.date | None, note: str, actor,
                     now: dt.datetime | None = None) -> Agreement:
    now = _now(now)
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _check_agreement_party(actor, agreement)
    faults = Faults()
    if agreement.status != Agreement.Status.ACTIVE:
        faults.add("new_expires_on", "This agreement has ended")
    if new_expires_on is None:
        faults.add("new_expires_on", "Enter the new last day of the agreement")
    elif new_expires_on <= agreement.expires_on:
        faults.add("new_expires_on", f"The new last day must be after {_show(agreement.expires_on)}")
    note = faults.require(note, "note", "Say how both parties agreed the extension")
    faults.raise_if_any()
    before = agreement.expires_on
    agreement.expires_on = new_expires_on
    agreement.extension_talks_started_on = None
    agreement.save(update_fields=["expires_on", "extension_talks_started_on"])
    record(subject=agreement, kind="agreement.extended", occurred_at=now, actor=actor,
           summary=f"Extended from {_show(before)} to {_show(new_expires_on)}: {note}. Extension talks for the "
                   f"next expiry from {_show(agreement.extension_talks_from)}",
           data={"from": before.isoformat(), "to": new_expires_on.isoformat()})
    return agreement


# --- 4. Governance meetings -------------------------------------------------------------------------------

def group_org_ids(group: Group) -> set[int]:
    return {group.side_a_org_id, group.side_b_org_id} | set(
        group.members.filter(active=True).values_list("organisation_id", flat=True))


def group_sides(user, group: Group) -> set[str]:
    """The sides of `group` the user acts for (normally one)."""
    orgs = acting_org_ids(user)
    sides = set()
    if group.side_a_org_id in orgs:
        sides.add(Side.A)
    if group.side_b_org_id in orgs:
        sides.add(Side.B)
    for member in group.members.filter(active=True, organisation_id__in=orgs):
        sides.add(member.side)
    return sides


def _check_group_member(actor, group: Group) -> set[str]:
    sides = group_sides(actor, group)
    if not sides:
        _refuse("Only the organisations in this group can change it.", status=404)
    return sides


@transaction.atomic
def group_create(*, name: str, code: str, purpose: str = "", side_a_org: Organisation | None,
                 side_b_org: Organisation | None, secretariat_email: str = "", parent: Group | None = None, actor,
                 now: dt.datetime | None = None) -> Group:
    now = _now(now)
    faults = Faults()
    name = faults.require(name, "name", "Enter the group's name")
    faults.length(name, "name", 200, "Name")
    code = (code or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9\-]{1,39}", code):
        faults.add("code", "The short name must be lower-case letters, numbers and hyphens, like jsog")
    elif Group.objects.filter(code=code).exists():
        faults.add("code", f"There is already a group called {code}")
    if side_a_org is None or not acts_for(actor, side_a_org.pk):
        faults.add("side_a_org", "Your own organisation must be one side of the group")
    if side_b_org is None:
        faults.add("side_b_org", "Select the organisation on the other side")
    elif side_a_org is not None and side_a_org.pk == side_b_org.pk:
        faults.add("side_b_org", "The other side must be a different organisation")
    secretariat_email = faults.email(secretariat_email, "secretariat_email",
                                     "Enter an email address in the correct format, like name@example.gov.uk")
    if parent is not None and not group_sides(actor, parent):
        faults.add("parent", "You can only set up a sub-group of a group you are in")
    faults.raise_if_any()
    group = Group.objects.create(name=name, code=code, purpose=(purpose or "").strip(), side_a_org=side_a_org,
                                 side_b_org=side_b_org, secretariat_email=secretariat_email, parent=parent,
                                 created_at=now)
    record(subject=group, kind="group.created", occurred_at=now, actor=actor,
           summary=f"Group set up between {side_a_org} and {side_b_org}: {name}"
                   + (f" (a sub-group of {parent.name})" if parent else ""))
    return group


@transaction.atomic
def group_member_add(*, group: Group, side: str, name: str, job_title: str = "", email: str = "",
                     deputy_name: str = "", deputy_email: str = "", can_chair: bool = False,
                     organisation: Organisation | None = None, actor, now: dt.datetime | None = None) -> GroupMember:
    now = _now(now)
    sides = _check_group_member(actor, group)
    faults = Faults()
    if side not in Side.values:
        faults.add("side", "Select the side the member is on")
    elif side not in sides:
        faults.add("side", "You can add members to your own side only")
    name = faults.require(name, "name", "Enter the member's name")
    faults.length(name, "name", 120, "Name")
    email = faults.email(email, "email", "Enter an email address in the correct format, like name@example.gov.uk")
    deputy_name = (deputy_name or "").strip()
    deputy_email = faults.email(deputy_email, "deputy_email",
                                "Enter the deputy's email address in the correct format, like name@example.gov.uk")
    if deputy_email and not deputy_name:
        faults.add("deputy_name", "Enter the deputy's name")
    faults.raise_if_any()
    member = GroupMember.objects.create(group=group, side=side, organisation=organisation or group.side_org(side),
                                        name=name, job_title=(job_title or "").strip()[:120], email=email,
                                        deputy_name=deputy_name[:120], deputy_email=deputy_email,
                                        can_chair=bool(can_chair))
    record(subject=group, kind="group.member_added", occurred_at=now, actor=actor,
           summary=f"{name} joined ({group.side_org(side)})" + (f", deputy {deputy_name}" if deputy_name else "")
                   + (", may chair" if can_chair else ""), data={"member_id": member.pk})
    return member


def last_held(group: Group, *, before: dt.date | None = None) -> Meeting | None:
    qs = group.meetings.filter(status=Meeting.Status.HELD)
    if before is not None:
        qs = qs.filter(held_on__lt=before)
    return qs.order_by("-held_on", "-id").first()


def next_meeting_due_on(group: Group) -> dt.date:
    """At least quarterly: three months after the last meeting held (or after the group was set up)."""
    last = last_held(group)
    base = last.held_on if last else timezone.localdate(group.created_at)
    return dates.next_meeting_due(base, group.meets_every_months)


def expected_chair_side(group: Group, held_on: dt.date, *, exclude: int | None = None) -> str:
    previous = (group.meetings.exclude(status=Meeting.Status.CANCELLED).exclude(pk=exclude)
                .filter(held_on__lt=held_on).order_by("-held_on", "-id").first())
    return other_side(previous.chair_side) if previous else Side.A


@transaction.atomic
def meeting_schedule(*, group: Group, held_on: dt.date | None, location: str = "", chair_side: str | None = None,
                     actor, now: dt.datetime | None = None) -> Meeting:
    """A meeting of the group. The chair alternates between the two sides [JSOG]."""
    now = _now(now)
    group = Group.objects.select_for_update().get(pk=group.pk)
    _check_group_member(actor, group)
    faults = Faults()
    if held_on is None:
        faults.add("held_on", "Enter the date of the meeting")
    if chair_side not in (None, "", *Side.values):
        faults.add("chair_side", "Select which side chairs the meeting")
    faults.raise_if_any()
    expected = expected_chair_side(group, held_on)
    chair_side = chair_side or expected
    if chair_side != expected:
        faults.add("chair_side", f"The chair alternates between the two sides: {group.side_org(expected)} chairs the "
                                 f"meeting on {_show(held_on)}")
    following = (group.meetings.exclude(status=Meeting.Status.CANCELLED).filter(held_on__gt=held_on)
                 .order_by("held_on", "id").first())
    if following is not None and following.chair_side == chair_side:
        faults.add("held_on", f"{group.side_org(chair_side)} already chairs the next meeting, on "
                              f"{_show(following.held_on)}: choose a date after it")
    if group.meetings.exclude(status=Meeting.Status.CANCELLED).filter(held_on=held_on).exists():
        faults.add("held_on", f"The group already meets on {_show(held_on)}")
    faults.raise_if_any()
    meeting = Meeting.objects.create(group=group, held_on=held_on, location=(location or "").strip()[:120],
                                     chair_side=chair_side, created_by=actor, created_at=now)
    due = next_meeting_due_on(group)
    late = f" (after the quarterly deadline of {_show(due)})" if held_on > due else ""
    record(subject=group, kind="meeting.scheduled", occurred_at=now, actor=actor,
           summary=f"Meeting on {_show(held_on)}{late}, chaired by {group.side_org(chair_side)}",
           data={"meeting_id": meeting.pk})
    record(subject=meeting, kind="meeting.scheduled", occurred_at=now, actor=actor,
           summary=f"Scheduled for {_show(held_on)}, chaired by {group.side_org(chair_side)}{late}")
    return meeting


@transaction.atomic
def meeting_record_held(*, meeting: Meeting, actor, now: dt.datetime | None = None) -> Meeting:
    now = _now(now)
    meeting = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
    _check_group_member(actor, meeting.group)
    transitions.check("meeting", meeting.status, Meeting.Status.HELD)
    if meeting.held_on > _today(now):
        _refuse(f"The meeting is on {_show(meeting.held_on)}: it can be recorded as held on or after that day.",
                status=409)
    meeting.status = Meeting.Status.HELD
    meeting.save(update_fields=["status"])
    record(subject=meeting, kind="meeting.held", occurred_at=now, actor=actor,
           summary=f"Meeting held. Minutes due by {_show(meeting.minutes_due_on)} (one week)")
    return meeting


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, reason: str, actor, now: dt.datetime | None = None) -> Meeting:
    now = _now(now)
    meeting = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
    _check_group_member(actor, meeting.group)
    transitions.check("meeting", meeting.status, Meeting.Status.CANCELLED, field="reason")
    reason = (reason or "").strip()
    if not reason:
        _refuse("Say why the meeting is cancelled.", status=400, field="reason")
    meeting.status, meeting.cancelled_reason = Meeting.Status.CANCELLED, reason[:300]
    meeting.save(update_fields=["status", "cancelled_reason"])
    record(subject=meeting, kind="meeting.cancelled", occurred_at=now, actor=actor, summary=f"Cancelled: {reason}")
    return meeting


@transaction.atomic
def minutes_draft(*, meeting: Meeting, text: str, actor, now: dt.datetime | None = None) -> Meeting:
    """The chair's side writes the minutes [JSOG]; a redraft needs clearing again by both sides."""
    now = _now(now)
    meeting = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
    sides = _check_group_member(actor, meeting.group)
    if meeting.status != Meeting.Status.HELD:
        _refuse("Minutes can be drafted once the meeting has been held.", status=409, field="text")
    if meeting.chair_side not in sides:
        _refuse(f"The minutes are drafted by {meeting.group.side_org(meeting.chair_side)}, whose side chaired the "
                f"meeting.", field="text")
    transitions.check("minutes", meeting.minutes_status, Meeting.MinutesStatus.DRAFT, field="text")
    text = (text or "").strip()
    if not text:
        _refuse("Enter the minutes.", status=400, field="text")
    redraft = meeting.minutes_status == Meeting.MinutesStatus.DRAFT
    had_clearance = meeting.cleared_a_at or meeting.cleared_b_at
    meeting.minutes_text = text
    meeting.minutes_status = Meeting.MinutesStatus.DRAFT
    meeting.minutes_drafted_by, meeting.minutes_drafted_at = actor, now
    meeting.cleared_a_by = meeting.cleared_a_at = meeting.cleared_b_by = meeting.cleared_b_at = None
    meeting.save()
    record(subject=meeting, kind="minutes.drafted", occurred_at=now, actor=actor,
           summary=("Minutes redrafted" + (": clearance by both sides needed again" if had_clearance else ""))
           if redraft else f"Minutes drafted; due to be circulated by {_show(meeting.minutes_due_on)}",
           data={"length": len(text)})
    return meeting


@transaction.atomic
def minutes_clear(*, meeting: Meeting, actor, now: dt.datetime | None = None) -> Meeting:
    now = _now(now)
    meeting = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
    sides = _check_group_member(actor, meeting.group)
    if meeting.minutes_status != Meeting.MinutesStatus.DRAFT:
        transitions.check("minutes", meeting.minutes_status, Meeting.MinutesStatus.CLEARED)
    pending = [s for s in (Side.A, Side.B) if s in sides and not meeting.cleared_by_side(s)]
    if not pending:
        _refuse(f"{meeting.group.side_org(min(sides))} has already cleared these minutes.", status=409)
    side = pending[0]
    setattr(meeting, f"cleared_{side.lower()}_by", actor)
    setattr(meeting, f"cleared_{side.lower()}_at", now)
    both = meeting.cleared_by_side(Side.A) and meeting.cleared_by_side(Side.B)
    if both:
        transitions.check("minutes", meeting.minutes_status, Meeting.MinutesStatus.CLEARED)
        meeting.minutes_status = Meeting.MinutesStatus.CLEARED
    meeting.save()
    record(subject=meeting, kind="minutes.cleared", occurred_at=now, actor=actor,
           summary=f"Minutes cleared by {meeting.group.side_org(side)}"
                   + ("; cleared by both sides, ready to circulate" if both else ""))
    return meeting


@transaction.atomic
def minutes_circulate(*, meeting: Meeting, actor, now: dt.datetime | None = None) -> Meeting:
    now = _now(now)
    meeting = Meeting.objects.select_for_update().select_related("group").get(pk=meeting.pk)
    _check_group_member(actor, meeting.group)
    if meeting.minutes_status == Meeting.MinutesStatus.DRAFT:
        waiting = [meeting.group.side_org(s).name for s in (Side.A, Side.B) if not meeting.cleared_by_side(s)]
        _refuse(f"The minutes must be cleared by both sides before they are circulated: waiting for "
                f"{' and '.join(waiting)}.", status=409)
    transitions.check("minutes", meeting.minutes_status, Meeting.MinutesStatus.CIRCULATED)
    meeting.minutes_status = Meeting.MinutesStatus.CIRCULATED
    meeting.circulated_at, meeting.circulated_by = now, actor
    meeting.save()
    today = _today(now)
    due = meeting.minutes_due_on
    timing = f"within the week (due by {_show(due)})" if today <= due else \
        f"{(today - due).days} day{'s' if (today - due).days != 1 else ''} late (due by {_show(due)})"
    recipients = set()
    for member in meeting.group.members.filter(active=True):
        recipients.update(e for e in (member.email, member.deputy_email) if e)
    if meeting.group.secretariat_email:
        recipients.add(meeting.group.secretariat_email)
    for to in sorted(recipients):
        queue_email(to=to, now=now, subject=f"Minutes: {meeting.group.name}, {_show(meeting.held_on)}",
                    body=f"The cleared minutes of {meeting.group.name} on {_show(meeting.held_on)}.\n\n"
                         f"{meeting.minutes_text}\n")
    record(subject=meeting, kind="minutes.circulated", occurred_at=now, actor=actor,
           summary=f"Minutes circulated to {len(recipients)} people, {timing}",
           data={"late": today > due, "recipients": len(recipients)})
    return meeting


@transaction.atomic
def milestone_add(*, group: Group, title: str, owner_name: str, owner_email: str = "",
                  owner_organisation: Organisation | None = None, due_on: dt.date | None, actor,
                  now: dt.datetime | None = None) -> Milestone:
    now = _now(now)
    _check_group_member(actor, group)
    faults = Faults()
    title = faults.require(title, "title", "Enter the milestone")
    faults.length(title, "title", 200, "Milestone")
    owner_name = faults.require(owner_name, "owner_name", "Enter who owns the milestone")
    owner_email = faults.email(owner_email, "owner_email",
                               "Enter an email address in the correct format, like name@example.gov.uk")
    if due_on is None:
        faults.add("due_on", "Enter the date the milestone is due")
    faults.raise_if_any()
    milestone = Milestone.objects.create(group=group, title=title, owner_name=owner_name, owner_email=owner_email,
                                         owner_organisation=owner_organisation, due_on=due_on, created_by=actor,
                                         created_at=now)
    record(subject=group, kind="milestone.added", occurred_at=now, actor=actor,
           summary=f"Milestone added: {title}, owned by {owner_name}, due {_show(due_on)}",
           data={"milestone_id": milestone.pk})
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, status: str, forecast_on: dt.date | None = None, note: str = "",
                     meeting: Meeting | None = None, exception: dict | None = None, actor,
                     now: dt.datetime | None = None) -> Milestone:
    """Review a milestone. Whenever it is expected to slip (status "expected to slip", or a forecast after its due
    date), an exception report is required with it [JSOG]."""
    now = _now(now)
    milestone = Milestone.objects.select_for_update().select_related("group").get(pk=milestone.pk)
    _check_group_member(actor, milestone.group)
    faults = Faults()
    if status not in Milestone.Status.values:
        faults.add("status", "Select the milestone's status")
        faults.raise_if_any()
    transitions.check("milestone", milestone.status, status)
    if meeting is not None:
        meeting = Meeting.objects.get(pk=meeting.pk)
    if meeting is not None and (meeting.group_id != milestone.group_id or meeting.status != Meeting.Status.HELD):
        faults.add("status", "Milestones are reviewed at a meeting of their group that has been held")
    if status == Milestone.Status.COMPLETE:
        forecast_on = None
    slipping = status == Milestone.Status.AT_RISK or (forecast_on is not None and forecast_on > milestone.due_on)
    if forecast_on is not None and forecast_on > milestone.due_on and status != Milestone.Status.AT_RISK:
        faults.add("status", "A forecast after the due date means the milestone is expected to slip: choose "
                             "\"Expected to slip\" and complete the exception report")
    report = None
    if slipping:
        exception = exception or {}
        reason = faults.require(exception.get("reason"), "exception_reason",
                                "An exception report is needed: say why the milestone is expected to slip")
        impact = faults.require(exception.get("impact"), "exception_impact", "Describe the impact of the slip")
        mitigation = faults.require(exception.get("mitigation"), "exception_mitigation",
                                    "Describe what is being done about it")
        revised = exception.get("revised_due_on")
        if revised is None:
            faults.add("exception_revised_due_on", "Enter the date the milestone is now expected")
        elif revised <= milestone.due_on:
            faults.add("exception_revised_due_on",
                       f"The date now expected must be after the due date, {_show(milestone.due_on)}")
        faults.raise_if_any()
        report = ExceptionReport.objects.create(milestone=milestone, meeting=meeting, reason=reason, impact=impact,
                                                mitigation=mitigation, revised_due_on=revised, reported_by=actor,
                                                reported_at=now)
        forecast_on = revised
    faults.raise_if_any()
    before = milestone.status
    milestone.status = status
    milestone.forecast_on = forecast_on if status != Milestone.Status.ON_TRACK or forecast_on else None
    if status == Milestone.Status.ON_TRACK:
        milestone.forecast_on = None
    milestone.completed_on = _today(now) if status == Milestone.Status.COMPLETE else None
    milestone.save()
    if meeting is not None:
        MilestoneReview.objects.update_or_create(meeting=meeting, milestone=milestone, defaults={
            "status": status, "note": (note or "").strip()[:400], "reviewed_by": actor, "reviewed_at": now})
    summary = f"Milestone \"{milestone.title}\": {Milestone.Status(before).label.lower()} → " \
              f"{Milestone.Status(status).label.lower()}"
    if report is not None:
        summary += f"; exception report: now expected {_show(report.revised_due_on)}, {report.reason}"
    if meeting is not None:
        summary += f" (reviewed at the meeting on {_show(meeting.held_on)})"
    if note:
        summary += f". {note.strip()}"
    record(subject=milestone.group, kind="milestone.updated", occurred_at=now, actor=actor, summary=summary,
           data={"milestone_id": milestone.pk, "from": before, "to": status,
                 "exception_report_id": report.pk if report else None,
                 "meeting_id": meeting.pk if meeting else None})
    if meeting is not None:
        record(subject=meeting, kind="milestone.reviewed", occurred_at=now, actor=actor, summary=summary,
               data={"milestone_id": milestone.pk})
    return milestone


# --- 5. Engagement rounds ---------------------------------------------------------------------------------

def can_organise_engagement(user) -> bool:
    return is_gov_user(user) or is_dm_wide(user)


def _check_organiser(actor, rnd: EngagementRound) -> None:
    if not acts_for(actor, rnd.organiser_org_id):
        _refuse("Only the organiser of this round can do this.", status=404)


@transaction.atomic
def round_open(*, title: str, purpose: str, questions: Iterable[str], closes_on: dt.date | None, actor,
               now: dt.datetime | None = None) -> EngagementRound:
    now = _now(now)
    if not can_organise_engagement(actor):
        _refuse("Only the governments and DWP Debt Management's SLA liaison officers organise engagement rounds.")
    faults = Faults()
    title = faults.require(title, "title", "Enter a title for the round")
    faults.length(title, "title", 200, "Title")
    purpose = faults.require(purpose, "purpose", "Explain what the round is for, as participants will read it")
    questions = [q.strip() for q in questions if q and q.strip()]
    if not questions:
        faults.add("questions", "Enter at least one question")
    elif any(len(q) > 500 for q in questions):
        faults.add("questions", "Each question must be 500 characters or fewer")
    elif len(questions) > 20:
        faults.add("questions", "Ask up to 20 questions")
    if closes_on is None:
        faults.add("closes_on", "Enter the date the round closes")
    elif closes_on <= _today(now):
        faults.add("closes_on", "The closing date must be in the future")
    faults.raise_if_any()
    rnd = EngagementRound.objects.create(title=title, purpose=purpose, organiser_org=own_organisation(actor),
                                         created_by=actor, created_at=now, closes_on=closes_on)
    EngagementQuestion.objects.bulk_create(
        [EngagementQuestion(round=rnd, position=i, text=q) for i, q in enumerate(questions, start=1)])
    record(subject=rnd, kind="round.opened", occurred_at=now, actor=actor,
           summary=f"Round opened with {len(questions)} question{'s' if len(questions) != 1 else ''}, closing "
                   f"{_show(closes_on)}")
    return rnd


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def participant_for_token(token: str) -> Participant | None:
    if not token or len(token) > 100:
        return None
    return Participant.objects.select_related("round").filter(token_digest=_token_digest(token)).first()


@transaction.atomic
def participant_invite(*, round: EngagementRound, kind: str, name: str, email: str, organisation_name: str = "",
                       actor, now: dt.datetime | None = None) -> tuple[Participant, str]:
    """Invite someone to respond. They get a private link by e-mail (only a hash of it is kept)."""
    now = _now(now)
    rnd = EngagementRound.objects.select_for_update().get(pk=round.pk)
    _check_organiser(actor, rnd)
    faults = Faults()
    if rnd.status != EngagementRound.Status.OPEN:
        faults.add("name", "This round is closed to new participants")
    if kind not in Participant.Kind.values:
        faults.add("kind", "Select whether this is a person with experience of social security or a stakeholder "
                           "organisation")
    name = faults.require(name, "name", "Enter the participant's name")
    faults.length(name, "name", 120, "Name")
    email = faults.email(email, "email", "Enter an email address in the correct format, like name@example.com",
                         required=True)
    organisation_name = (organisation_name or "").strip()
    if kind == Participant.Kind.STAKEHOLDER and not organisation_name:
        faults.add("organisation_name", "Enter the stakeholder organisation's name")
    if email and rnd.participants.filter(email__iexact=email).exists():
        faults.add("email", "This person has already been invited to this round")
    faults.raise_if_any()
    token = secrets.token_urlsafe(24)
    number = (rnd.participants.aggregate(m=Max("number"))["m"] or 0) + 1
    participant = Participant.objects.create(round=rnd, number=number, kind=kind, name=name, email=email.lower(),
                                             organisation_name=organisation_name[:200],
                                             token_digest=_token_digest(token), invited_at=now)
    link = site_url(reverse("governance:respond", args=[token]))
    queue_email(to=participant.email, now=now, subject=f"Your views: {rnd.title}",
                body=f"Dear {name},\n\nYou are invited to take part in: {rnd.title}.\n\n{rnd.purpose}\n\n"
                     f"Give your views by {_show(rnd.closes_on)} at this private link (please do not share it):\n"
                     f"{link}\n\nWhat you say is reported without your name.\n")
    # The history names the participant by number: the name stays with the organiser's participant list.
    record(subject=rnd, kind="round.participant_invited", occurred_at=now, actor=actor,
           summary=f"{participant.pseudonym} ({participant.get_kind_display().lower()}) invited")
    return participant, token


@transaction.atomic
def response_submit(*, participant: Participant, answers: dict[int, str], now: dt.datetime | None = None) -> int:
    """A participant's answers (question id -> text). They may change them until the round closes."""
    now = _now(now)
    participant = Participant.objects.select_for_update().select_related("round").get(pk=participant.pk)
    rnd = participant.round
    if rnd.status != EngagementRound.Status.OPEN or _today(now) > rnd.closes_on:
        _refuse(f"This round closed on {_show(rnd.closes_on)}: responses can no longer be given.", status=409)
    faults = Faults()
    questions = {q.pk: q for q in rnd.questions.all()}
    given = {qid: (text or "").strip() for qid, text in answers.items() if qid in questions and (text or "").strip()}
    if not given:
        faults.add(f"answer-{next(iter(questions))}" if questions else "answer", "Answer at least one question")
    for qid, text in given.items():
        if len(text) > 5000:
            faults.add(f"answer-{qid}", "Each answer must be 5,000 characters or fewer")
    faults.raise_if_any()
    for qid, text in given.items():
        EngagementResponse.objects.update_or_create(participant=participant, question_id=qid,
                                                    defaults={"answer": text, "submitted_at": now})
    again = participant.responded_at is not None
    participant.responded_at = now
    participant.save(update_fields=["responded_at"])
    record(subject=rnd, kind="round.response_submitted", occurred_at=now, actor=None,
           actor_organisation=rnd.organiser_org,
           summary=f"{participant.pseudonym} {'changed their' if again else 'gave'} answers to {len(given)} "
                   f"question{'s' if len(given) != 1 else ''}")
    return len(given)


@transaction.atomic
def response_tag(*, response: EngagementResponse, themes: Iterable[str], actor,
                 now: dt.datetime | None = None) -> list[Theme]:
    now = _now(now)
    response = EngagementResponse.objects.select_related("participant__round").get(pk=response.pk)
    rnd = response.participant.round
    _check_organiser(actor, rnd)
    if rnd.status == EngagementRound.Status.PUBLISHED:
        _refuse("The summary has been published: the themes are fixed.", status=409, field="themes")
    names = []
    for raw in themes:
        name = re.sub(r"\s+", " ", (raw or "").strip())[:80]
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    tagged = []
    for name in names:
        theme = Theme.objects.filter(round=rnd, name__iexact=name).first() or Theme.objects.create(round=rnd,
                                                                                                  name=name)
        tagged.append(theme)
    response.themes.set(tagged)
    record(subject=rnd, kind="round.response_tagged", occurred_at=now, actor=actor,
           summary=f"{response.participant.pseudonym}'s answer to question {response.question.position} tagged: "
                   f"{', '.join(t.name for t in tagged) or 'no themes'}")
    return tagged


@transaction.atomic
def round_close(*, round: EngagementRound, actor, now: dt.datetime | None = None) -> EngagementRound:
    now = _now(now)
    rnd = EngagementRound.objects.select_for_update().get(pk=round.pk)
    _check_organiser(actor, rnd)
    transitions.check("round", rnd.status, EngagementRound.Status.CLOSED)
    rnd.status = EngagementRound.Status.CLOSED
    rnd.save(update_fields=["status"])
    responded = rnd.participants.filter(responded_at__isnull=False).count()
    record(subject=rnd, kind="round.closed", occurred_at=now, actor=actor,
           summary=f"Round closed: {responded} of {rnd.participants.count()} participants responded")
    return rnd


def identities_in(text: str, rnd: EngagementRound) -> list[str]:
    """Participants' names or e-mail addresses that appear in `text` (the summary must name nobody)."""
    lowered = (text or "").lower()
    found = []
    for p in rnd.participants.all():
        for value in (p.name, p.email):
            if value and len(value) >= 3 and re.search(rf"(?<!\w){re.escape(value.lower())}(?!\w)", lowered):
                found.append(p.pseudonym)
                break
    return found


@transaction.atomic
def round_publish(*, round: EngagementRound, summary: str, actor, now: dt.datetime | None = None) -> EngagementRound:
    """Publish the summary back to the participants. It must not name any of them [CHARTER]."""
    now = _now(now)
    rnd = EngagementRound.objects.select_for_update().get(pk=round.pk)
    _check_organiser(actor, rnd)
    faults = Faults()
    summary = faults.require(summary, "summary", "Write the summary to share with participants")
    if rnd.status == EngagementRound.Status.OPEN:
        faults.add("summary", "Close the round before publishing its summary")
    named = identities_in(summary or "", rnd)
    if named:
        faults.add("summary", f"The summary names or gives the email address of {', '.join(named)}: participants' "
                              f"identities must be protected, so refer to them by number instead")
    faults.raise_if_any()
    transitions.check("round", rnd.status, EngagementRound.Status.PUBLISHED, field="summary")
    rnd.summary_text, rnd.status, rnd.published_at = summary, EngagementRound.Status.PUBLISHED, now
    rnd.save(update_fields=["summary_text", "status", "published_at"])
    for participant in rnd.participants.all():
        queue_email(to=participant.email, now=now, subject=f"What we heard: {rnd.title}",
                    body=f"Thank you for taking part in {rnd.title}. The summary of what we heard is published:\n\n"
                         f"{summary}\n")
    record(subject=rnd, kind="round.published", occurred_at=now, actor=actor,
           summary=f"Summary published and sent to {rnd.participants.count()} participants")
    return rnd
