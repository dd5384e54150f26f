"""Reminders for everything in partnership working that has a date, e-mailed through the notices' outbox.

`reminders_due(today)` is a pure question ("what needs a reminder on this day?"), tested on fixed dates.
`reminders_send(today=…, now=…)` queues one outbox e-mail per reminder per day at most: a `SentReminder` row,
unique on (key, day), is written in the same transaction as the e-mail, so a second run the same day (or two
workers at once) sends nothing twice.

What is due, and from when (LEAD_DAYS before its date):
- a directory entry not checked for a year (from the day a year has passed);
- minutes not yet circulated (from 2 days before the one-week deadline, and every day after it);
- an open action, from 2 days before its due date, and every day it is overdue;
- a milestone not complete, from 7 days before it is due (or now expected);
- a group whose next meeting is overdue (the day after the quarterly deadline onwards);
- a notice of default whose 30-day remedy period ends within 7 days (or has ended without a remedy recorded);
- a notice of termination taking effect within 14 days;
- an agreement inside its last 6 months with no extension talks recorded.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from liaison.governance import dates
from liaison.governance.directory import acting_contact
from liaison.governance.models import (
    Action,
    Agreement,
    AgreementNotice,
    Contact,
    Duty,
    Group,
    Meeting,
    Milestone,
    SentReminder,
    Side,
)
from liaison.governance.services import last_held, next_meeting_due_on, queue_email, site_url

LEAD_DAYS = {"minutes": 2, "action": 2, "milestone": 7, "remedy": 7, "termination": 14}


@dataclass(frozen=True)
class Reminder:
    key: str
    to: str
    subject: str
    body: str
    due_on: dt.date

    @property
    def overdue_on(self):
        return self.due_on


def _show(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _when(due: dt.date, today: dt.date) -> str:
    if due < today:
        days = (today - due).days
        return f"overdue since {_show(due)} ({days} day{'s' if days != 1 else ''})"
    if due == today:
        return "due today"
    return f"due by {_show(due)}"


def _org_email(organisation, duty: str, today: dt.date) -> str:
    acting = acting_contact(organisation=organisation, duty=duty, on=today)
    return acting.email or organisation.intake_email


def reminders_due(today: dt.date) -> list[Reminder]:
    items: list[Reminder] = []
    items += _contact_reviews(today)
    items += _minutes(today)
    items += _actions(today)
    items += _milestones(today)
    items += _meetings(today)
    items += _notices(today)
    items += _extension_talks(today)
    return [r for r in items if r.to]


def _contact_reviews(today):
    out = []
    # A year after `last_checked_on` is due; an entry checked on or before this day a year ago is due now.
    for c in Contact.objects.filter(active=True, last_checked_on__lte=today - dt.timedelta(days=365)).select_related(
            "organisation"):
        due = dates.review_due(c.last_checked_on)
        if due > today:
            continue
        to = c.email or _org_email(c.organisation, Duty.SPOC, today)
        out.append(Reminder(
            key=f"contact-review:{c.pk}", to=to, due_on=due,
            subject=f"Please check your contact details: {c.get_duty_display()} at {c.organisation}",
            body=f"The directory entry for {c.name} ({c.get_duty_display()}, {c.organisation}) was last checked on "
                 f"{_show(c.last_checked_on)}: it is {_when(due, today)} for review. Please confirm or update it.\n\n"
                 f"{site_url(reverse('governance:contacts_org', args=[c.organisation.code]))}\n"))
    return out


def _minutes(today):
    out = []
    held = Meeting.objects.filter(status=Meeting.Status.HELD).exclude(
        minutes_status=Meeting.MinutesStatus.CIRCULATED).select_related("group__side_a_org", "group__side_b_org")
    for m in held:
        due = m.minutes_due_on
        if today < due - dt.timedelta(days=LEAD_DAYS["minutes"]):
            continue
        chair_org = m.group.side_org(m.chair_side)
        to = m.group.secretariat_email or _org_email(chair_org, Duty.SPOC, today)
        out.append(Reminder(
            key=f"minutes:{m.pk}", to=to, due_on=due,
            subject=f"Minutes {_when(due, today)}: {m.group.name}, {_show(m.held_on)}",
            body=f"The minutes of {m.group.name} on {_show(m.held_on)} are {m.get_minutes_status_display().lower()}. "
                 f"Cleared minutes are to be circulated within one week: {_when(due, today)}. {chair_org} chaired "
                 f"and drafts them.\n\n{site_url(reverse('governance:meeting_detail', args=[m.pk]))}\n"))
    return out


def _actions(today):
    out = []
    horizon = today + dt.timedelta(days=LEAD_DAYS["action"])
    for a in Action.objects.filter(status=Action.Status.OPEN, due_on__lte=horizon).select_related(
            "issue__owner", "meeting__group", "owner_organisation"):
        to = a.owner_email or (a.issue.owner.email if a.issue_id and a.issue.owner_id else "") or (
            a.meeting.group.secretariat_email if a.meeting_id else "")
        where = (f"issues log entry {a.issue.reference}" if a.issue_id
                 else f"the meeting of {a.meeting.group.name} on {_show(a.meeting.held_on)}")
        link = (reverse("governance:issue_detail", args=[a.issue_id]) if a.issue_id
                else reverse("governance:meeting_detail", args=[a.meeting_id]))
        out.append(Reminder(
            key=f"action:{a.pk}", to=to, due_on=a.due_on,
            subject=f"Action {a.reference} {_when(a.due_on, today)}",
            body=f"Action {a.reference} from {where}, for {a.owner_name}: {a.description}\n\nIt is "
                 f"{_when(a.due_on, today)}.\n\n{site_url(link)}\n"))
    return out


def _milestones(today):
    out = []
    for m in Milestone.objects.exclude(status=Milestone.Status.COMPLETE).select_related("group"):
        due = m.expected_on
        if today < due - dt.timedelta(days=LEAD_DAYS["milestone"]):
            continue
        to = m.owner_email or m.group.secretariat_email
        out.append(Reminder(
            key=f"milestone:{m.pk}", to=to, due_on=due,
            subject=f"Milestone {_when(due, today)}: {m.title}",
            body=f"The milestone \"{m.title}\" of {m.group.name}, owned by {m.owner_name}, is {_when(due, today)} "
                 f"({m.get_status_display().lower()}). If it is expected to slip, an exception report is needed.\n\n"
                 f"{site_url(reverse('governance:group_detail', args=[m.group_id]))}\n"))
    return out


def _meetings(today):
    out = []
    for g in Group.objects.filter(active=True).select_related("side_a_org"):
        due = next_meeting_due_on(g)
        if today <= due:
            continue
        last = last_held(g)
        to = g.secretariat_email or _org_email(g.side_a_org, Duty.SPOC, today)
        out.append(Reminder(
            key=f"meeting-overdue:{g.pk}", to=to, due_on=due,
            subject=f"{g.name}: a meeting is overdue",
            body=f"{g.name} meets at least quarterly. "
                 + (f"It last met on {_show(last.held_on)}; " if last else "It has not met yet; ")
                 + f"the next meeting was due by {_show(due)}.\n\n"
                   f"{site_url(reverse('governance:group_detail', args=[g.pk]))}\n"))
    return out


def _notices(today):
    out = []
    served = AgreementNotice.objects.filter(status=AgreementNotice.Status.SERVED).select_related(
        "agreement__party_a", "agreement__party_b")
    for n in served:
        lead = LEAD_DAYS["remedy" if n.kind == AgreementNotice.Kind.DEFAULT else "termination"]
        if today < n.deadline - dt.timedelta(days=lead):
            continue
        a = n.agreement
        if n.kind == AgreementNotice.Kind.DEFAULT:
            subject = f"{a.reference}: remedy period {_when(n.deadline, today)}"
            text = (f"The notice of default {n.reference} served on {_show(n.served_on)} gives until "
                    f"{_show(n.deadline)} to remedy the default (30 days, SLA 14.2): {_when(n.deadline, today)}.")
        else:
            subject = f"{a.reference}: termination takes effect {_show(n.deadline)}"
            text = (f"The notice of termination {n.reference} served on {_show(n.served_on)} takes effect on "
                    f"{_show(n.deadline)} (90 days, SLA 14.3-14.4).")
        for side in (Side.A, Side.B):
            party = a.party(side)
            out.append(Reminder(
                key=f"notice:{n.pk}:{party.pk}", to=_org_email(party, Duty.AUTHORISED_OFFICER, today),
                due_on=n.deadline, subject=subject,
                body=f"{text}\n\n{site_url(reverse('governance:agreement_detail', args=[a.pk]))}\n"))
    return out


def _extension_talks(today):
    out = []
    for a in Agreement.objects.filter(status=Agreement.Status.ACTIVE, extension_talks_started_on__isnull=True,
                                      expires_on__gte=today).select_related("party_a", "party_b"):
        start = a.extension_talks_from
        if today < start:
            continue
        for side in (Side.A, Side.B):
            party = a.party(side)
            out.append(Reminder(
                key=f"extension-talks:{a.pk}:{a.expires_on.isoformat()}:{party.pk}",
                to=_org_email(party, Duty.AUTHORISED_OFFICER, today), due_on=start,
                subject=f"{a.reference}: start talks on extending the agreement",
                body=f"{a.title} expires on {_show(a.expires_on)}. Discussions on any extension start within 6 months "
                     f"of expiry (SLA 14.5), from {_show(start)}. No talks have been recorded yet.\n\n"
                     f"{site_url(reverse('governance:agreement_detail', args=[a.pk]))}\n"))
    return out


def reminders_send(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Apply terminations that have taken effect, then queue each due reminder not already sent today."""
    from liaison.governance.services import agreements_apply_terminations

    now = now or timezone.now()
    today = today or timezone.localdate(now)
    ended = agreements_apply_terminations(now=now, today=today)
    sent = skipped = 0
    for reminder in reminders_due(today):
        try:
            with transaction.atomic():
                row, created = SentReminder.objects.get_or_create(
                    key=reminder.key[:200], sent_on=today,
                    defaults={"to": reminder.to, "subject": reminder.subject[:200], "created_at": now})
                if not created:
                    skipped += 1
                    continue
                row.outbox = queue_email(to=reminder.to, subject=reminder.subject, body=reminder.body, now=now)
                row.save(update_fields=["outbox"])
                sent += 1
        except IntegrityError:  # another worker sent it a moment ago
            skipped += 1
    return {"sent": sent, "already_sent": skipped, "agreements_ended": len(ended)}
