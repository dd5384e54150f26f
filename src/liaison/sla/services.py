"""Writes of `sla`: local targets, the reasons for breaches, and raising breaches to the responsible party.

Each service is atomic, takes the acting user (or, for the daily task, `today`), writes its timeline event in the
same transaction and schedules side effects (e-mail delivery, recomputing measurements) for after it commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from liaison.core import timeline
from liaison.core.bulk import bulk_insert
from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.notices.models import OutboxMessage
from liaison.partners.models import Organisation
from liaison.sla import events
from liaison.sla.figures import national_limit_text, state_q
from liaison.sla.models import Breach, LocalTarget, Measurement, Standard

log = logging.getLogger(__name__)

# A breach found by the daily run is raised by e-mail when its due date is this recent; an older one (the first
# run over years of history) is not e-mailed: it is on the dashboards and lists, and a reason can be recorded.
RAISE_LOOKBACK_DAYS = 30
MAX_LINES_PER_MESSAGE = 200


def _site_url(path: str) -> str:
    return getattr(settings, "LIAISON_SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


# --- Local targets -------------------------------------------------------------------------------------------

def national_limit_on(standard: Standard, day: dt.date) -> int | None:
    limits = [p.limit for p in standard.provisions.all()
              if p.limit is not None and p.effective_from <= day and (p.effective_to is None or p.effective_to >= day)]
    if not limits:
        return None
    return max(limits) if standard.unit == Standard.Unit.SHARE else min(limits)


def local_target_record(*, standard: Standard, la: Organisation, limit: int | None, effective_from: dt.date | None,
                        effective_to: dt.date | None = None, agreed_on: dt.date | None, la_contact: str,
                        reference: str, actor, now: dt.datetime | None = None) -> LocalTarget:
    """Record a local target DM and an LA agreed. Refused when it is not stricter than the national minimum
    (SLA Appendix 2: local deviations "can only be in excess of those given"), or overlaps one in force."""
    now = now or timezone.now()
    if actor is None or not actor.has_perm("sla.manage_targets"):
        raise ApplicationError("Only SLA liaison officers can record local targets.", status=403)
    today = timezone.localdate(now)
    faults: dict[str, str] = {}
    la_contact, reference = (la_contact or "").strip(), (reference or "").strip()
    if not la.is_la:
        faults["la"] = "Select a Local Authority"
    if not standard.takes_local_targets:
        faults["standard"] = (f"{standard.code} is set nationally ({national_limit_text(standard, today).lower()}): "
                              "it does not take a local target")
    share = standard.unit == Standard.Unit.SHARE
    if limit is None:
        faults["limit"] = "Enter the target" + (" as a percentage" if share else " in working days")
    elif share and not 1 <= limit <= 100:
        faults["limit"] = "The share must be between 1 and 100 per cent"
    elif not share and limit < 1:
        faults["limit"] = "The target must be at least 1 working day"
    if effective_from is None:
        faults["effective_from"] = "Enter the date the target applies from"
    if effective_to is not None and effective_from is not None and effective_to < effective_from:
        faults["effective_to"] = "The last day must be on or after the first"
    if agreed_on is None:
        faults["agreed_on"] = "Enter the date DM and the LA agreed the target"
    elif agreed_on > today:
        faults["agreed_on"] = "The date it was agreed must be today or in the past"
    if not la_contact:
        faults["la_contact"] = "Enter who agreed the target for the Local Authority"
    if not reference:
        faults["reference"] = "Enter where the agreement is documented (for example, the POG minutes)"
    if len(la_contact) > 200 or len(reference) > 300:
        faults.setdefault("reference", "Keep who agreed it to 200 characters and the reference to 300")
    if limit is not None and effective_from is not None and "limit" not in faults and standard.takes_local_targets:
        national = national_limit_on(standard, effective_from)
        if national is not None and (limit <= national if share else limit >= national):
            what = f"{national}%" if share else f"{national} working days"
            faults["limit"] = (f"A local target must be stricter than the national standard of {what}: "
                               "local deviations can only be in excess of the minimum (SLA Appendix 2)")
    if faults:
        raise ApplicationError("The local target could not be recorded.", extra={"faults": faults})
    with transaction.atomic():
        # One target of an LA for a standard at a time: refuse an overlap (under a lock on the LA's row).
        Organisation.objects.select_for_update().filter(pk=la.pk).first()
        overlapping = LocalTarget.objects.filter(standard=standard, la=la).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=effective_from))
        if effective_to is not None:
            overlapping = overlapping.filter(effective_from__lte=effective_to)
        clash = overlapping.order_by("effective_from").first()
        if clash is not None:
            raise ApplicationError("The local target could not be recorded.", extra={"faults": {
                "effective_from": (f"{la.name} already has a local target for {standard.code} from "
                                   f"{clash.effective_from:%-d %B %Y}: end it first")}})
        target = LocalTarget.objects.create(
            standard=standard, la=la, limit=limit, effective_from=effective_from, effective_to=effective_to,
            agreed_on=agreed_on, la_contact=la_contact, reference=reference, recorded_by=actor, recorded_at=now)
        unit = "%" if share else " working days"
        timeline.record(case=None, la=la, kind=events.TARGET_RECORDED, occurred_at=now, actor=actor,
                        summary=f"Local target for {standard.code} recorded: {limit}{unit} from "
                                f"{effective_from:%-d %B %Y}, agreed with {la_contact} ({reference})",
                        data={"target_id": target.pk, "standard": standard.code, "limit": limit,
                              "effective_from": effective_from.isoformat(),
                              "effective_to": effective_to.isoformat() if effective_to else None})
        transaction.on_commit(lambda: _remeasure(la.pk, standard.code))
    return target


def local_target_end(*, target: LocalTarget, last_day: dt.date | None, actor,
                     now: dt.datetime | None = None) -> LocalTarget:
    """End a local target: it applies to clocks that start up to and including `last_day`."""
    now = now or timezone.now()
    if actor is None or not actor.has_perm("sla.manage_targets"):
        raise ApplicationError("Only SLA liaison officers can end local targets.", status=403)
    if last_day is None:
        raise ApplicationError("The local target could not be ended.",
                               extra={"faults": {"last_day": "Enter the last day the target applies"}})
    with transaction.atomic():
        target = LocalTarget.objects.select_for_update().select_related("standard", "la").get(pk=target.pk)
        if target.ended_at is not None:
            raise ApplicationError("This local target has already been ended.", status=409)
        if last_day < target.effective_from:
            raise ApplicationError("The local target could not be ended.", extra={"faults": {
                "last_day": f"The last day must be on or after {target.effective_from:%-d %B %Y}, when it started"}})
        if target.effective_to is not None and last_day > target.effective_to:
            raise ApplicationError("The local target could not be ended.", extra={"faults": {
                "last_day": f"The target already ends on {target.effective_to:%-d %B %Y}"}})
        target.effective_to, target.ended_at, target.ended_by = last_day, now, actor
        target.save(update_fields=["effective_to", "ended_at", "ended_by"])
        timeline.record(case=None, la=target.la, kind=events.TARGET_ENDED, occurred_at=now, actor=actor,
                        summary=f"Local target for {target.standard.code} ends on {last_day:%-d %B %Y}",
                        data={"target_id": target.pk, "standard": target.standard.code,
                              "last_day": last_day.isoformat()})
        la_id, code = target.la_id, target.standard.code
        transaction.on_commit(lambda: _remeasure(la_id, code))
    return target


def _remeasure(la_id: int, code: str) -> None:
    from liaison.sla.tasks import refresh_la

    refresh_la.enqueue(la_id, code)


# --- Reasons for breaches --------------------------------------------------------------------------------------

def can_record_reason(user, measurement: Measurement) -> bool:
    """The responsible party records the reason: the LA for its own standards, DM for DM's; the SLA liaison
    officers (and administrators) for any."""
    if user.has_perm("sla.manage_targets"):
        return True
    if measurement.site_id is None:
        return user.is_la_user and user.organisation_id == measurement.la_id
    return user.is_dm_user


def breach_reason_record(*, measurement: Measurement, reason: str, actor, now: dt.datetime | None = None) -> Breach:
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not can_record_reason(actor, measurement):
        raise ApplicationError("Only the party responsible for this standard can record the reason.", status=403)
    if not reason:
        raise ApplicationError("The reason could not be recorded.",
                               extra={"faults": {"reason": "Enter the reason for the breach"}})
    if len(reason) > 2000:
        raise ApplicationError("The reason could not be recorded.",
                               extra={"faults": {"reason": "The reason must be 2,000 characters or fewer"}})
    today = timezone.localdate(now)
    if not Measurement.objects.filter(pk=measurement.pk).filter(state_q("breached", today)).exists():
        raise ApplicationError("This item has not breached its standard.", status=409)
    with transaction.atomic():
        breach, _ = Breach.objects.select_for_update().get_or_create(
            standard_id=measurement.standard_id, start_event_id=measurement.start_event_id,
            defaults={"case_id": measurement.case_id, "la_id": measurement.la_id, "site_id": measurement.site_id,
                      "due_on": measurement.due_on, "detected_on": today})
        breach.reason, breach.reason_by, breach.reason_at = reason, actor, now
        breach.save(update_fields=["reason", "reason_by", "reason_at"])
        timeline.record(case=case_id_or_none(measurement), la=measurement.la, kind=events.BREACH_REASON,
                        occurred_at=now, actor=actor,
                        summary=f"Reason for the breach of {measurement.standard.code} recorded: {reason[:300]}",
                        data={"standard": measurement.standard.code, "start_event_id": measurement.start_event_id})
    return breach


def case_id_or_none(measurement: Measurement):
    from liaison.core.models import Case

    return Case.objects.filter(pk=measurement.case_id).first() if measurement.case_id else None


# --- Raising breaches ------------------------------------------------------------------------------------------

@dataclass
class RaiseResult:
    raised: int = 0
    messages: int = 0
    recorded_only: int = 0
    no_contact: int = 0
    breaches: list[Breach] = field(default_factory=list)


def nominated_contact(organisation: Organisation, on: dt.date) -> tuple[str, str]:
    """(name, e-mail) of the organisation's nominated contact for SLA compliance on a day.

    With the governance app: its directory (the SLA liaison contact; during an absence the delegate or alternate;
    where nobody is named, the SPoC; then the organisation's intake address). Without it: the intake address.
    A DM unit with no address (FCG) falls back to CC Porth's contact, which deals with SLA non-compliance
    (SLA Appendix 3, 3.1).
    """
    name, email = "", ""
    if apps.is_installed("liaison.governance"):
        from liaison.governance.directory import acting_contact
        from liaison.governance.models import Duty

        acting = acting_contact(organisation=organisation, duty=Duty.SLA_LIAISON, on=on)
        name, email = acting.name, acting.email
    email = email or organisation.intake_email
    if not email and organisation.kind == Organisation.Kind.DM_UNIT and organisation.unit != Organisation.Unit.CC_PORTH:
        porth = Organisation.objects.filter(unit=Organisation.Unit.CC_PORTH).first()
        if porth is not None:
            return nominated_contact(porth, on)
    return name or str(organisation), email


def issues_log_raise(breaches: list[Breach], *, today: dt.date, now: dt.datetime) -> None:
    """HOOK: put new breaches into the shared issues log (QIIC), when the governance app offers a way to raise an
    entry without a person acting.

    governance.services.issue_raise needs a person at a party (`actor`); a daily task has none, and raising in a
    person's name would be impersonation. When governance provides `sla_breaches_raise(*, breaches, today, now)`
    (returning {breach id: log reference}), it is called here and the references are kept on the breaches.
    """
    if not breaches or not apps.is_installed("liaison.governance"):
        return
    try:
        from liaison.governance.services import sla_breaches_raise
    except ImportError:
        return
    references = sla_breaches_raise(breaches=breaches, today=today, now=now) or {}
    for breach in breaches:
        ref = references.get(breach.pk)
        if ref:
            Breach.objects.filter(pk=breach.pk).update(issues_log_reference=str(ref)[:100])


def breaches_raise(*, today: dt.date, now: dt.datetime | None = None,
                   lookback_days: int = RAISE_LOOKBACK_DAYS) -> RaiseResult:
    """Raise each new breach once: one e-mail per nominated contact listing its new breaches, a `sla.breach_raised`
    event on each item's timeline, and the shared issues log where that is set up. A breach is new when it is
    breached on `today` and has no Breach record; its due date is within `lookback_days`. Re-running the same day
    (or any later day) raises nothing twice.
    """
    now = now or timezone.now()
    result = RaiseResult()
    with transaction.atomic():
        already = Breach.objects.filter(standard_id=OuterRef("standard_id"), start_event_id=OuterRef("start_event_id"))
        new = list(Measurement.objects
                   .filter(state_q("breached", today), due_on__gte=today - dt.timedelta(days=lookback_days),
                           due_on__lt=today)
                   .exclude(Exists(already))
                   .select_related("standard", "la", "site").order_by("site_id", "la_id", "due_on", "id"))
        if not new:
            return result
        by_contact: dict[tuple[str, str], list[Measurement]] = {}
        for m in new:
            responsible = m.site or m.la
            by_contact.setdefault(nominated_contact(responsible, today), []).append(m)
        breaches, event_rows = [], []
        for (name, email), items in by_contact.items():
            message = None
            if email:
                message = OutboxMessage.objects.create(notice=None, to=email, next_attempt_at=now,
                                                       subject=_subject(items, today), body=_body(name, items, today))
                result.messages += 1
            else:
                result.no_contact += len(items)
                log.warning("sla breach: no contact", extra={"contact": name, "breaches": len(items)})
            for m in items:
                breaches.append(Breach(standard_id=m.standard_id, start_event_id=m.start_event_id, case_id=m.case_id,
                                       la_id=m.la_id, site_id=m.site_id, due_on=m.due_on, detected_on=today,
                                       raised_at=now if email else None, raised_to=email and f"{name} <{email}>",
                                       message=message))
                event_rows.append(timeline.build(
                    case_id=m.case_id, la_id=m.la_id, kind=events.BREACH_RAISED, occurred_at=now, actor_id=None,
                    actor_organisation_id=m.site_id,
                    summary=(f"{m.standard.code} breached: due {m.due_on:%-d %B %Y}"
                             + (f"; raised to {name}" if email else "; nobody to raise it to")),
                    data={"standard": m.standard.code, "start_event_id": m.start_event_id, "to": email}))
        Breach.objects.bulk_create(breaches, batch_size=2000)
        bulk_insert(event_rows)
        result.breaches = [b for b in breaches if b.raised_at]
        result.raised = len(result.breaches)
        issues_log_raise(result.breaches, today=today, now=now)
        if result.messages:
            transaction.on_commit(_deliver)
    return result


def _deliver() -> None:
    from liaison.notices.tasks import deliver_outbox

    deliver_outbox.enqueue()


def _subject(items: list[Measurement], today: dt.date) -> str:
    n = len(items)
    return f"Service standards: {n} new breach{'es' if n != 1 else ''} on {today:%-d %B %Y}"


def _body(name: str, items: list[Measurement], today: dt.date) -> str:
    lines = [f"To {name},", "",
             (f"These items breached their service standard (SLA Appendices 1 and 2), found on {today:%-d %B %Y}. "
             "Each is raised once. Record the reason for each breach on its page, so it appears in the year-end "
             "statement of performance."), ""]
    for m in items[:MAX_LINES_PER_MESSAGE]:
        what = m.case_reference or f"{m.month:%B %Y}"
        state = (f"stopped {m.stop_on:%-d %B %Y} after {m.working_days} working days" if m.stop_on
                 else "still open")
        lines.append(f"- {m.standard.code} {what} ({m.la.name}): due {m.due_on:%-d %B %Y}, {state}")
    if len(items) > MAX_LINES_PER_MESSAGE:
        lines.append(f"… and {len(items) - MAX_LINES_PER_MESSAGE} more: see the lists in Liaison.")
    lines += ["", f"Your team's breach and at-risk lists: {_site_url(reverse('sla:queue'))}"]
    return "\n".join(lines)


def events_for_cases(case_ids: list[int], kind: str) -> dict[int, dict]:
    """The first event of `kind` on each case (the timeline, not another app's tables): its data by case id."""
    out: dict[int, dict] = {}
    for case_id, data in (Event.objects.filter(case_id__in=case_ids, kind=kind).order_by("occurred_at", "id")
                          .values_list("case_id", "data")):
        out.setdefault(case_id, data)
    return out
