"""Every write of casework: changes of circumstances, appeal outcomes, complaints and MP enquiries, sequences of
events, and the work queues they wait in.

Each service is keyword-only, takes the acting user and `now`, runs in one transaction, records its step on the
case's timeline in that transaction, and issues its notices there too (they are e-mailed after it commits). The
money moves through recovery's own services (settle, stop, suspend, reduce): casework never writes the ledger.

A refused request records nothing and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison.casework import events, limits
from liaison.casework.models import (
    CHANGE_TRANSITIONS, OPEN_CHANGE, AppealOutcome, ChangeFile, ChangeFileRow, ChangeKind, ChangeOfCircumstances,
    ChangeStatus, Channel, Complaint, SoeRequest, WorkItem,
)
from liaison.casework.validation import Fault, validate_change
from liaison.core import timeline
from liaison.core.bulk import bulk_insert, unsaved
from liaison.core.errors import ApplicationError
from liaison.core.money import format_pence
from liaison.notices.models import Notice
from liaison.notices.services import NoticeRequest, notices_issue
from liaison.partners.models import Organisation
from liaison.recovery.ledger import (
    SuspensionScope, debt_reduce, debt_settle_by_la, debt_stop, notice_context, suspension_create, suspension_lift,
)
from liaison.recovery.models import Debt, Suspension

# SLA Appendix 8: "if no notice of recovery is held send Appendix 7 to Dearne Valley Contact Centre".
DEFAULT_SITE_CODE = "DM-CCG-DEARNE"
QUEUE_UNITS = (Organisation.Unit.CCG_SITE, Organisation.Unit.CC_PORTH)
ACCEPTED, REFUSED = ChangeFileRow.Outcome.ACCEPTED, ChangeFileRow.Outcome.REFUSED


def _require(actor, perm: str, message: str) -> None:
    if actor is None or not actor.has_perm(perm):
        raise ApplicationError(message, status=403)


def _day(value: dt.datetime) -> dt.date:
    return timezone.localdate(value)


def _long(day: dt.date) -> str:
    return f"{day:%-d %B %Y}"


def _sentence(label: str) -> str:
    """A label to go inside a sentence: "Recovery stopped: returned to the LA" -> "recovery stopped: …"."""
    return label[:1].lower() + label[1:]


def site_for(debt: Debt) -> Organisation:
    """The CCG site that owns a debt's casework: the one named on its notice of recovery (HBREC), or Dearne Valley
    where no notice of recovery is held (SLA Appendix 8)."""
    return _sites_for([debt])[debt.pk]


def _sites_for(debts: list[Debt]) -> dict[int, Organisation]:
    with_notice = set(Notice.objects.filter(case_id__in=[d.case_id for d in debts], code="HBREC")
                      .values_list("case_id", flat=True))
    default = None
    sites = {}
    for debt in debts:
        if debt.case_id in with_notice and debt.owning_site.unit == Organisation.Unit.CCG_SITE:
            sites[debt.pk] = debt.owning_site
        else:
            default = default or Organisation.objects.get(code=DEFAULT_SITE_CODE)
            sites[debt.pk] = default
    return sites


def _queue_site(actor, debt: Debt) -> Organisation:
    """Where a piece of casework an agent records waits: the agent's own unit, or else the debt's site."""
    org = getattr(actor, "organisation", None)
    if org is not None and org.unit in QUEUE_UNITS:
        return org
    return site_for(debt)


def _work_done(*, actor, now, **subject) -> None:
    WorkItem.objects.filter(state=WorkItem.State.OPEN, **subject).update(
        state=WorkItem.State.DONE, done_at=now, done_by=actor)


def _tell_la(debt: Debt, *, code: str, now: dt.datetime, actor, issued_by: Organisation, **extra) -> Notice:
    """One notice to the debt's LA (recorded on the timeline by notices_issue; e-mailed after commit)."""
    request = NoticeRequest(code=code, case_id=debt.case_id, la_id=debt.la_id, to=debt.la.intake_email,
                            context=notice_context(debt, now, **extra), actor_id=getattr(actor, "pk", None),
                            actor_organisation_id=issued_by.pk)
    [notice] = notices_issue(requests=[request], issued_by_id=issued_by.pk, issued_at=now)
    return notice


# --- Changes of circumstances: received ----------------------------------------------------------------------

class ChangeRefused(ApplicationError):
    """A change the domain refuses, with every fault by field."""

    def __init__(self, faults: list[Fault], *, status: int = 400) -> None:
        message = faults[0].message if len(faults) == 1 else \
            f"The change of circumstances was not accepted: {len(faults)} problems"
        super().__init__(message, extra={"faults": [f.as_dict() for f in faults]}, status=status)
        self.faults = faults


@dataclass
class ChangeResult:
    """What happened to one change sent: accepted (with the change recorded) or refused (with its faults)."""

    row: int | None
    la_reference: str
    outcome: str
    change: ChangeOfCircumstances | None = None
    faults: list[Fault] = field(default_factory=list)
    conflict: bool = False  # refused because the same change is already held

    def as_dict(self) -> dict[str, Any]:
        c = self.change
        return {"row": self.row, "la_reference": self.la_reference, "outcome": self.outcome,
                "change_reference": c.reference if c else "", "site": c.site.name if c else "",
                "due_on": c.due_on.isoformat() if c else None, "faults": [f.as_dict() for f in self.faults]}


def change_notify(*, la: Organisation, data: dict[str, Any], actor, channel: str,
                  now: dt.datetime) -> ChangeOfCircumstances:
    """An LA tells DM of a change of circumstances for one of its debts (web form or API). Returns the change, routed
    to its CCG site's work queue; raises ChangeRefused (with every fault) and records nothing when refused."""
    [result] = changes_receive(la=la, rows=[(None, data)], actor=actor, channel=channel, now=now)
    if result.outcome == REFUSED:
        raise ChangeRefused(result.faults, status=409 if result.conflict else 400)
    return result.change


def changes_receive(*, la: Organisation, rows: Sequence[tuple[int | None, Any]], actor, channel: str,
                    now: dt.datetime, file: ChangeFile | None = None) -> list[ChangeResult]:
    """Receive changes of circumstances from an LA, set-based (a bulk file's chunk, or one). Atomic: every
    accepted change of `rows` is recorded, with its work item and its timeline event, or none is."""
    if not la.is_la:
        raise ApplicationError("Only a Local Authority can send a change of circumstances.", status=403)
    if channel not in Channel.values:
        raise ApplicationError(f"Unknown channel {channel!r}.")
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _receive(la=la, rows=rows, actor=actor, channel=channel, now=now, file=file)
        except IntegrityError:
            # The same change arrived by another request between our check and our insert: look again, and this
            # time it is refused as already held.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _receive(*, la, rows, actor, channel, now, file) -> list[ChangeResult]:
    today = _day(now)
    checked = []
    for row, data in rows:
        clean = validate_change(data, today=today)
        # A file row that could not be read carries its own faults (liaison.core.csvfile); no other channel may.
        row_faults = data.get("_row_faults", ()) if file is not None and isinstance(data, dict) else ()
        clean.faults[:0] = [Fault("row", message) for message in row_faults]
        checked.append((row, clean))

    refs = sorted({c.la_reference for _, c in checked if c.la_reference})
    debts: dict[str, Debt] = {}
    for start in range(0, len(refs), 5000):
        # An LA sees only its own debts: another LA's reference is "no such debt", exactly like an unknown one.
        for debt in (Debt.objects.filter(la=la, la_reference__in=refs[start:start + 5000])
                     .select_related("owning_site", "la").order_by("loaded_at", "id")):
            debts[debt.la_reference] = debt  # the latest, should a reference ever have been loaded twice
    held = set(ChangeOfCircumstances.objects.filter(debt__in=list(debts.values()), status__in=OPEN_CHANGE)
               .values_list("debt_id", "kind"))
    sites = _sites_for(list(debts.values())) if debts else {}

    results: list[ChangeResult] = []
    first_row: dict[tuple[int, str], int | None] = {}
    for row, clean in checked:
        faults = list(clean.faults)
        conflict = False
        debt = debts.get(clean.la_reference) if clean.la_reference else None
        if clean.la_reference and debt is None:
            faults.append(Fault("la_reference", f"No debt with LA reference {clean.la_reference} is being recovered "
                                                "for your authority: check the reference on the recovery start "
                                                "letter (HBREC)"))
        if debt is not None:
            if clean.nino and clean.nino != debt.nino:
                faults.append(Fault("nino", f"National Insurance number does not match the debt with LA reference "
                                            f"{debt.la_reference}"))
            if debt.status != Debt.Status.IN_RECOVERY:
                ended = f" on {_long(_day(debt.closed_at))}" if debt.closed_at else ""
                faults.append(Fault("la_reference", f"Debt {debt.la_reference} is no longer being recovered "
                                                    f"({_sentence(debt.get_status_display())}{ended}): there is "
                                                    "nothing left for DM to change"))
            if clean.la_told_on and clean.la_told_on < _day(debt.loaded_at):
                faults.append(Fault("la_told_on", f"Date your overpayment team was told cannot be before the debt "
                                                  f"was loaded for recovery ({_long(_day(debt.loaded_at))})"))
            key = (debt.pk, clean.kind)
            if not faults and key in held:
                conflict = True
                faults.append(Fault("change", f"This change ({ChangeKind(clean.kind).label.lower()}) for debt "
                                              f"{debt.la_reference} was already received and is still open: it "
                                              "is not recorded twice"))
            elif not faults and key in first_row:
                conflict = True
                faults.append(Fault("change", f"The same change for the same debt as row {first_row[key]} of this "
                                              "file: it is not recorded twice"))
            elif not faults:
                first_row[key] = row
        if faults:
            results.append(ChangeResult(row=row, la_reference=clean.la_reference, outcome=REFUSED, faults=faults,
                                        conflict=conflict))
            continue
        site = sites[debt.pk]
        change = unsaved(
            ChangeOfCircumstances, case_id=debt.case_id, debt=debt, la=la, site=site, kind=clean.kind,
            la_told_on=clean.la_told_on, received_at=now, due_on=limits.due_on("COC-ACTION", today),
            details=clean.details, officer_name=clean.officer_name, customer_name=clean.customer_name,
            nino=clean.nino, la_reference=clean.la_reference, channel=channel, submitted_by=actor, file=file,
            source_row=row, status=ChangeStatus.RECEIVED)
        results.append(ChangeResult(row=row, la_reference=clean.la_reference, outcome=ACCEPTED, change=change))

    accepted = [r.change for r in results if r.change is not None]
    bulk_insert(accepted)
    actor_id = getattr(actor, "pk", None)
    bulk_insert([unsaved(WorkItem, kind=WorkItem.Kind.CHANGE, standard="COC-ACTION", site_id=c.site_id,
                         case_id=c.case_id, la_id=c.la_id, debt_id=c.debt_id, received_at=now, due_on=c.due_on,
                         change_id=c.pk) for c in accepted])
    bulk_insert([timeline.build(
        case_id=c.case_id, la_id=c.la_id, kind=events.COC_RECEIVED, occurred_at=now, actor_id=actor_id,
        actor_organisation_id=la.pk,
        summary=f"Change of circumstances received from the LA: {c.get_kind_display()} (its overpayment team was "
                f"told on {_long(c.la_told_on)}); sent to {c.site.name} to action by {_long(c.due_on)}",
        data={"coc_id": c.pk, "kind": c.kind, "la_told_on": c.la_told_on.isoformat(), "debt_id": c.debt_id,
              "channel": channel, "site_id": c.site_id, "due_on": c.due_on.isoformat(),
              **({"file_id": file.pk, "row": c.source_row} if file else {})})
        for c in accepted])
    if file is not None:
        bulk_insert([unsaved(ChangeFileRow, file=file, row_number=r.row or 0, outcome=r.outcome,
                             la_reference=r.la_reference[:40], change_id=r.change.pk if r.change else None,
                             faults=[f.as_dict() for f in r.faults]) for r in results])
    return results


# --- Changes of circumstances: actioned ----------------------------------------------------------------------

def _move(obj, status: str, transitions) -> None:
    if status not in transitions.get(obj.status, ()):
        raise ApplicationError(f"This has already been dealt with ({_sentence(obj.get_status_display())}).",
                               status=409)
    obj.status = status


def change_action(*, change: ChangeOfCircumstances, actor, now: dt.datetime,
                  decision: str = "") -> ChangeOfCircumstances:
    """A CCG agent actions a change of circumstances: each kind has its effect on the debt, and the LA is told.

    - repaid in full: the balance is settled (non-cash), the debt closes paid in full, HBPIF;
    - now on HB, or the LA's own arrangements: recovery stops and the rest returns to the LA, LARET;
    - appealed or disputed: recovery is suspended until the LA records the outcome, COCACT;
    - other: the agent's written decision, COCACT.
    A debt whose recovery ended after the change arrived is left as it is, and the LA told so (COCACT).
    """
    _require(actor, "casework.action", "Only a CCG agent can action a change of circumstances.")
    decision = (decision or "").strip()
    if len(decision) > 5000:
        raise ApplicationError("The decision is too long.", extra={"faults": {
            "decision": "Decision must be 5,000 characters or fewer"}})
    with transaction.atomic():
        change = ChangeOfCircumstances.objects.select_for_update().get(pk=change.pk)
        if change.status != ChangeStatus.RECEIVED:
            raise ApplicationError(f"This change has already been actioned ({_sentence(change.get_status_display())}).",
                                   status=409)
        if change.kind == ChangeKind.OTHER and not decision:
            raise ApplicationError("Write your decision.", extra={"faults": {
                "decision": "Write your decision on this change, for the LA"}})
        debt = Debt.objects.select_related("la", "owning_site", "case").get(pk=change.debt_id)
        site = change.site
        today = _day(now)
        remaining = debt.balance_pence
        status, notice_extra = ChangeStatus.ACTIONED, None
        if debt.status != Debt.Status.IN_RECOVERY:
            effect = (f"No change made: recovery of the debt had already ended ({_sentence(debt.get_status_display())}) "
                      "before this change was actioned.")
            notice_extra = {"heading": "Your change of circumstances needed no action"}
        elif change.kind == ChangeKind.REPAID_IN_FULL:
            debt_settle_by_la(debt=debt, note=f"Customer repaid the LA in full ({change.reference})", actor=actor,
                              now=now)
            effect = (f"Balance of {format_pence(remaining)} settled: the customer repaid the LA directly. The debt "
                      "is closed as paid in full (HBPIF sent).")
        elif change.kind in (ChangeKind.NOW_ON_HB, ChangeKind.LA_ARRANGEMENTS):
            reason = Debt.StopReason.NOW_ON_HB if change.kind == ChangeKind.NOW_ON_HB else \
                Debt.StopReason.LA_ARRANGEMENTS
            details = f"Change of circumstances {change.reference}. {change.details} {decision}".strip()
            debt_stop(debt=debt, reason=reason, details=details, identified_on=_day(change.received_at),
                      actor=actor, now=now)
            effect = (f"Recovery stopped ({Debt.StopReason(reason).label.lower()}): the balance of "
                      f"{format_pence(remaining)} goes back to the LA (LARET sent).")
        elif change.kind == ChangeKind.APPEALED:
            change.suspension = suspension_create(
                scope=SuspensionScope(debt=debt), starts=today, ends=None, actor=actor, now=now,
                reason=f"Customer has appealed or disputed the overpayment decision ({change.reference}): "
                       "suspended until the LA records the outcome")
            status = ChangeStatus.AWAITING_OUTCOME
            effect = (f"Recovery suspended from {_long(today)} until the LA records the outcome of the appeal "
                      "(COCACT sent).")
            notice_extra = {"heading": "We have suspended recovery while the customer's appeal is decided",
                            "explanation": "Recovery is suspended from " + _long(today) + ". When the appeal is "
                            "decided, record its outcome in Liaison on this change: if the decision stands, recovery "
                            "resumes; if the overpayment is reduced or cancelled, we reduce or cancel the debt."}
        else:
            effect = "DM's decision written (COCACT sent)."
            notice_extra = {"heading": "Our decision on your change of circumstances"}
        _move(change, status, CHANGE_TRANSITIONS)
        change.actioned_at, change.actioned_by, change.decision, change.effect = now, actor, decision, effect[:500]
        change.save(update_fields=["status", "actioned_at", "actioned_by", "decision", "effect", "suspension"])
        _work_done(actor=actor, now=now, change=change)
        timeline.record(case=debt.case, la=debt.la, kind=events.COC_ACTIONED, occurred_at=now, actor=actor,
                        summary=f"Change of circumstances {change.reference} ({change.get_kind_display().lower()}) "
                                f"actioned: {effect}",
                        data={"coc_id": change.pk, "kind": change.kind, "debt_id": debt.pk, "effect": effect,
                              "status": status, "received_at": change.received_at.isoformat()})
        if notice_extra is not None:
            debt.refresh_from_db()
            _tell_la(debt, code="COCACT", now=now, actor=actor, issued_by=site,
                     **_change_letter(change, debt, explanation=notice_extra.pop("explanation", effect),
                                      **notice_extra))
    return change


def _change_letter(change: ChangeOfCircumstances, debt: Debt, **extra) -> dict[str, Any]:
    return {"change_kind": change.get_kind_display(), "change_reference": change.reference,
            "la_told_on": _long(change.la_told_on), "received_on": _long(_day(change.received_at)),
            "decision": change.decision, "current_balance": format_pence(debt.balance_pence), **extra}


def appeal_outcome_record(*, change: ChangeOfCircumstances, outcome: str, actor, now: dt.datetime,
                          amount_pence: int | None = None, details: str = "") -> ChangeOfCircumstances:
    """The LA records the outcome of the customer's appeal (a DM agent may record it for the LA), and it is applied:
    upheld, recovery resumes; reduced, a REDUCTION entry lowers the debt and recovery resumes; cancelled, the whole
    balance is taken off and the debt is cancelled. The LA is sent COCACT confirming it.

    A cancelled debt gets COCACT rather than an Appendix 5 notice: HBPIF would say the debt was recovered and LARET
    that it goes back to the LA to recover; neither is true of a debt the LA has cancelled.
    """
    details = (details or "").strip()
    faults = {}
    if outcome not in AppealOutcome.values:
        faults["outcome"] = "Choose the outcome of the appeal"
    if outcome == AppealOutcome.REDUCED and (amount_pence is None or amount_pence <= 0):
        faults["amount"] = "Enter the amount the overpayment was reduced by, more than £0.00"
    if len(details) > 2000:
        faults["details"] = "Details must be 2,000 characters or fewer"
    if faults:
        raise ApplicationError("The outcome could not be recorded.", extra={"faults": faults})
    with transaction.atomic():
        change = ChangeOfCircumstances.objects.select_for_update().get(pk=change.pk)
        is_the_la = getattr(actor, "is_la_user", False) and actor.organisation_id == change.la_id
        if not (is_the_la or actor.has_perm("casework.action")):
            raise ApplicationError("Only the LA that sent the change, or a CCG agent, can record the outcome.",
                                   status=403)
        if change.status != ChangeStatus.AWAITING_OUTCOME:
            raise ApplicationError(f"No appeal outcome is waited for on this change "
                                   f"({_sentence(change.get_status_display())}).", status=409)
        debt = Debt.objects.select_related("la", "owning_site", "case").get(pk=change.debt_id)
        if debt.status != Debt.Status.IN_RECOVERY:
            raise ApplicationError(f"Recovery of this debt has already ended ({_sentence(debt.get_status_display())}): "
                                   "there is nothing left to change.", status=409)
        balance = debt.balance_pence
        if outcome == AppealOutcome.REDUCED and amount_pence >= balance:
            raise ApplicationError("The reduction is the whole balance.", extra={"faults": {
                "amount": f"The reduction must be less than the balance of {format_pence(balance)}: to take off "
                          "the whole balance, choose cancelled"}})
        today = _day(now)
        label = f"Appeal outcome ({change.reference})"
        if outcome == AppealOutcome.UPHELD:
            _lift(change.suspension, today=today, actor=actor, now=now)
            effect = (f"The overpayment decision stands: recovery of the balance of {format_pence(balance)} "
                      f"resumes after {_long(today)}.")
        elif outcome == AppealOutcome.REDUCED:
            debt = debt_reduce(debt=debt, amount_pence=amount_pence, actor=actor, now=now,
                               reason=f"{label}: overpayment reduced. {details}".strip())
            _lift(change.suspension, today=today, actor=actor, now=now)
            effect = (f"The debt was reduced by {format_pence(amount_pence)} to {format_pence(debt.balance_pence)}; "
                      f"recovery resumes after {_long(today)}.")
        else:
            debt = debt_reduce(debt=debt, amount_pence=balance, actor=actor, now=now,
                               reason=f"{label}: overpayment cancelled. {details}".strip())
            recovered = debt.original_balance_pence - balance
            effect = (f"The debt was cancelled: the balance of {format_pence(balance)} was taken off and recovery "
                      f"has ended." + (f" The {format_pence(recovered)} already recovered stays paid to the LA."
                                       if recovered > 0 else ""))
        _move(change, ChangeStatus.CONCLUDED, CHANGE_TRANSITIONS)
        change.outcome, change.outcome_at, change.outcome_by = outcome, now, actor
        change.outcome_amount_pence = amount_pence if outcome == AppealOutcome.REDUCED else (
            balance if outcome == AppealOutcome.CANCELLED else None)
        change.outcome_details = details
        change.save(update_fields=["status", "outcome", "outcome_at", "outcome_by", "outcome_amount_pence",
                                   "outcome_details"])
        timeline.record(case=debt.case, la=debt.la, kind=events.COC_OUTCOME_RECORDED, occurred_at=now, actor=actor,
                        summary=f"Outcome of the appeal recorded ({AppealOutcome(outcome).label.split(':')[0]}): "
                                f"{effect}",
                        data={"coc_id": change.pk, "outcome": outcome, "debt_id": debt.pk,
                              "amount_pence": change.outcome_amount_pence})
        debt.refresh_from_db()
        _tell_la(debt, code="COCACT", now=now, actor=actor, issued_by=change.site, **_change_letter(
            change, debt, heading="We have applied the outcome of the customer's appeal",
            explanation=effect + (f" Your note: {details}" if details else "")))
    return change


def _lift(suspension: Suspension | None, *, today: dt.date, actor, now: dt.datetime) -> None:
    if suspension is None:
        return
    suspension = Suspension.objects.get(pk=suspension.pk)
    if suspension.ends is None:  # an agent may already have resumed it from the debt's page
        suspension_lift(suspension=suspension, last_day=max(today, suspension.starts), actor=actor, now=now)


# --- Complaints and MP enquiries -------------------------------------------------------------------------------

def _received_moment(day: dt.date, now: dt.datetime) -> dt.datetime:
    """When something received on `day` arrived: now, if that is today; else the start of that day (London)."""
    if day == _day(now):
        return now
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def complaint_faults(*, kind: str, made_by: str, received_on: dt.date | None, channel: str, summary: str,
                     today: dt.date) -> dict[str, str]:
    """What is wrong with a complaint as typed, by field (empty when nothing is)."""
    made_by, summary = (made_by or "").strip(), (summary or "").strip()
    faults = {}
    if kind not in Complaint.Kind.values:
        faults["kind"] = "Choose whether it is a customer complaint or an MP enquiry"
    if not made_by:
        faults["made_by"] = "Enter who made it: the customer, or the MP and constituency"
    elif len(made_by) > 200:
        faults["made_by"] = "Who made it must be 200 characters or fewer"
    if received_on is None:
        faults["received_on"] = "Enter the date it was received"
    elif received_on > today:
        faults["received_on"] = "The date it was received cannot be in the future"
    elif received_on.year < 2000:
        faults["received_on"] = "The date it was received must be a real date, like 27 3 2025"
    if channel not in Complaint.ReceivedBy.values:
        faults["channel"] = "Choose how it was received"
    if not summary:
        faults["summary"] = "Summarise what it says"
    elif len(summary) > 5000:
        faults["summary"] = "Summary must be 5,000 characters or fewer"
    return faults


def complaint_record(*, debt: Debt, kind: str, made_by: str, received_on: dt.date | None, channel: str,
                     summary: str, actor, now: dt.datetime) -> Complaint:
    """A DM agent records a complaint or MP enquiry about an HB debt. It waits in the agent's unit's work queue,
    due to be forwarded to the LA within COMPLAINT-FWD's working days of its receipt."""
    _require(actor, "casework.work", "Only DWP Debt Management's agents can record a complaint or MP enquiry.")
    made_by, summary = (made_by or "").strip(), (summary or "").strip()
    faults = complaint_faults(kind=kind, made_by=made_by, received_on=received_on, channel=channel, summary=summary,
                              today=_day(now))
    if faults:
        raise ApplicationError("The complaint could not be recorded.", extra={"faults": faults})
    with transaction.atomic():
        debt = Debt.objects.select_related("la", "owning_site", "case").get(pk=debt.pk)
        site = _queue_site(actor, debt)
        received_at = _received_moment(received_on, now)
        complaint = Complaint.objects.create(
            case=debt.case, debt=debt, la=debt.la, site=site, kind=kind, made_by=made_by, received_on=received_on,
            channel=channel, summary=summary, recorded_at=now, recorded_by=actor,
            due_on=limits.due_on("COMPLAINT-FWD", received_on))
        WorkItem.objects.create(kind=WorkItem.Kind.COMPLAINT, standard="COMPLAINT-FWD", site=site, case=debt.case,
                                la=debt.la, debt=debt, received_at=received_at, due_on=complaint.due_on,
                                complaint=complaint)
        timeline.record(case=debt.case, la=debt.la, kind=events.COMPLAINT_RECEIVED, occurred_at=received_at,
                        actor=actor, actor_organisation=site,
                        summary=f"{complaint.get_kind_display()} received by {site.name} "
                                f"({complaint.get_channel_display().lower()}) from {made_by}; to forward to the LA "
                                f"by {_long(complaint.due_on)}",
                        data={"complaint_id": complaint.pk, "kind": kind, "received_on": received_on.isoformat(),
                              "channel": channel, "site_id": site.pk, "due_on": complaint.due_on.isoformat()})
    return complaint


def complaint_forward(*, complaint: Complaint, actor, now: dt.datetime, note: str = "") -> Complaint:
    """Forward a complaint or MP enquiry to the LA: a COMPLAINT notice, e-mailed to the LA, and it appears in the
    LA's list of complaints."""
    _require(actor, "casework.work", "Only DWP Debt Management's agents can forward a complaint.")
    note = (note or "").strip()
    if len(note) > 2000:
        raise ApplicationError("The note is too long.", extra={"faults": {
            "note": "Note must be 2,000 characters or fewer"}})
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        _move(complaint, Complaint.Status.FORWARDED, Complaint.TRANSITIONS)
        debt = Debt.objects.select_related("la", "owning_site", "case").get(pk=complaint.debt_id)
        site = complaint.site
        complaint.notice = _tell_la(
            debt, code="COMPLAINT", now=now, actor=actor, issued_by=site, complaint_kind=complaint.get_kind_display(),
            complaint_kind_code=complaint.kind, made_by=complaint.made_by, received_by=site.name,
            received_on=_long(complaint.received_on), channel=complaint.get_channel_display().lower(),
            complaint_reference=complaint.reference, summary=complaint.summary, note=note,
            soe_days=limits.LIMITS["SOE"].working_days, contact_name=site.name, contact_email=site.intake_email)
        complaint.forwarded_at, complaint.forwarded_by, complaint.note = now, actor, note
        complaint.save(update_fields=["status", "forwarded_at", "forwarded_by", "note", "notice"])
        _work_done(actor=actor, now=now, complaint=complaint)
        timeline.record(case=debt.case, la=debt.la, kind=events.COMPLAINT_FORWARDED, occurred_at=now, actor=actor,
                        actor_organisation=site,
                        summary=f"{complaint.get_kind_display()} {complaint.reference} forwarded to {debt.la.name}",
                        data={"complaint_id": complaint.pk, "notice_id": complaint.notice.pk,
                              "received_on": complaint.received_on.isoformat()})
    return complaint


# --- Sequences of events ---------------------------------------------------------------------------------------

def soe_request(*, debt: Debt, actor, now: dt.datetime, reason: str = "",
                complaint: Complaint | None = None) -> SoeRequest:
    """The LA asks for a debt's sequence of events. It waits in the work queue of the debt's CCG site, due within
    the SOE standard's working days."""
    reason = (reason or "").strip()
    if not (getattr(actor, "is_la_user", False) and actor.organisation_id == debt.la_id):
        raise ApplicationError("Only the LA whose debt it is can ask for its sequence of events.", status=403)
    if len(reason) > 2000:
        raise ApplicationError("The reason is too long.", extra={"faults": {
            "reason": "Reason must be 2,000 characters or fewer"}})
    if complaint is not None and complaint.debt_id != debt.pk:
        raise ApplicationError("That complaint is about another debt.", extra={"faults": {
            "complaint": "The complaint is about another debt"}})
    try:
        with transaction.atomic():
            debt = Debt.objects.select_related("la", "owning_site", "case").get(pk=debt.pk)
            open_request = SoeRequest.objects.filter(debt=debt, status=SoeRequest.Status.REQUESTED).first()
            if open_request is not None:
                raise _already_asked(open_request)
            site = site_for(debt)
            request = SoeRequest.objects.create(
                case=debt.case, debt=debt, la=debt.la, site=site, complaint=complaint, reason=reason,
                requested_at=now, requested_by=actor, due_on=limits.due_on("SOE", _day(now)))
            WorkItem.objects.create(kind=WorkItem.Kind.SOE, standard="SOE", site=site, case=debt.case, la=debt.la,
                                    debt=debt, received_at=now, due_on=request.due_on, soe_request=request)
            timeline.record(case=debt.case, la=debt.la, kind=events.SOE_REQUESTED, occurred_at=now, actor=actor,
                            summary=f"Sequence of events requested by the LA; sent to {site.name} to supply by "
                                    f"{_long(request.due_on)}",
                            data={"soe_id": request.pk, "due_on": request.due_on.isoformat(), "site_id": site.pk,
                                  "complaint_id": getattr(complaint, "pk", None)})
    except IntegrityError:  # asked for twice at once: the other request won
        raise _already_asked(SoeRequest.objects.get(debt=debt, status=SoeRequest.Status.REQUESTED)) from None
    return request


def _already_asked(request: SoeRequest) -> ApplicationError:
    return ApplicationError(f"A sequence of events for this debt was already asked for on "
                            f"{_long(_day(request.requested_at))} ({request.reference}); it is due by "
                            f"{_long(request.due_on)}.", status=409)


def soe_supply(*, request: SoeRequest, actor, now: dt.datetime) -> SoeRequest:
    """DM supplies a sequence of events: a PDF built from the case's timeline and ledger, every step from the
    referral to now, kept as supplied. The LA is sent an SOE notice saying it is ready to download."""
    from liaison.casework import soe

    _require(actor, "casework.work", "Only DWP Debt Management's agents can supply a sequence of events.")
    with transaction.atomic():
        request = SoeRequest.objects.select_for_update().get(pk=request.pk)
        _move(request, SoeRequest.Status.SUPPLIED, SoeRequest.TRANSITIONS)
        debt = Debt.objects.select_related("la", "owning_site", "case").get(pk=request.debt_id)
        document = soe.build(debt, until=now, request=request, prepared_by=actor)
        request.document.save(f"{request.reference}.pdf", ContentFile(soe.render_pdf(document)), save=False)
        request.supplied_at, request.supplied_by = now, actor
        request.notice = _tell_la(debt, code="SOE", now=now, actor=actor, issued_by=request.site,
                                  request_reference=request.reference,
                                  requested_on=_long(_day(request.requested_at)), supplied_on=_long(_day(now)))
        request.save(update_fields=["status", "supplied_at", "supplied_by", "document", "notice"])
        _work_done(actor=actor, now=now, soe_request=request)
        timeline.record(case=debt.case, la=debt.la, kind=events.SOE_SUPPLIED, occurred_at=now, actor=actor,
                        actor_organisation=request.site,
                        summary=f"Sequence of events {request.reference} supplied to the LA "
                                f"({len(document.steps)} steps)",
                        data={"soe_id": request.pk, "requested_at": request.requested_at.isoformat(),
                              "notice_id": request.notice.pk})
    return request


# --- Work queues -----------------------------------------------------------------------------------------------

def workitem_assign(*, item: WorkItem, assignee, actor, now: dt.datetime) -> WorkItem:
    """Give a waiting piece of casework to an agent (or to nobody)."""
    _require(actor, "casework.work", "Only DWP Debt Management's agents can assign casework.")
    if assignee is not None and not assignee.has_perm("casework.work"):
        raise ApplicationError(f"{assignee.display_name} does not work casework.", extra={"faults": {
            "assignee": "Choose an agent who works casework"}})
    with transaction.atomic():
        item = WorkItem.objects.select_for_update(of=("self",)).select_related("case", "la").get(pk=item.pk)
        if item.state != WorkItem.State.OPEN:
            raise ApplicationError("This has already been dealt with.", status=409)
        item.assigned_to = assignee
        item.save(update_fields=["assigned_to"])
        subject = WorkItem.objects.select_related("change", "complaint", "soe_request").get(pk=item.pk).subject
        timeline.record(case=item.case, la=item.la, kind=events.WORK_ASSIGNED, occurred_at=now, actor=actor,
                        summary=f"{item.get_kind_display()} {subject.reference} "
                                + (f"assigned to {assignee.display_name}" if assignee else "unassigned"),
                        data={"work_item_id": item.pk, "assignee_id": getattr(assignee, "pk", None)})
    return item
