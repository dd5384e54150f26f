"""Reminders on fixed dates, each e-mailed through the outbox at most once a day."""

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command

from liaison.governance import services
from liaison.governance.models import Agreement, Duty, SentReminder
from liaison.governance.reminders import reminders_due, reminders_send
from liaison.notices.models import OutboxMessage

from .conftest import at

pytestmark = pytest.mark.django_db
D = dt.date


def keys(day):
    return sorted(r.key.split(":")[0] for r in reminders_due(day))


@pytest.fixture
def world(org, la, la_manager, sla_liaison, sg, dwp, sg_official, dwp_official):
    """On 1 January 2025: a contact, an agreement, a group with a held meeting, an action and a milestone."""
    start = at(2025, 1, 1)
    contact = services.contact_create(organisation=la, duty=Duty.SPOC, name="Martin Holt", email="m@leeds.invalid",
                                      actor=la_manager, now=start)
    services.contact_create(organisation=org("DM-HQ"), duty=Duty.AUTHORISED_OFFICER, name="Julie Thompson",
                            email="julie@dwp.invalid", actor=sla_liaison, now=start)
    services.contact_create(organisation=la, duty=Duty.AUTHORISED_OFFICER, name="Martin Holt",
                            email="m@leeds.invalid", actor=la_manager, now=start)
    agreement = services.agreement_create(reference="SLA-1", title="SLA", kind="SLA", party_a=org("DM-HQ"), party_b=la,
                                          starts_on=D(2023, 4, 1), actor=sla_liaison, now=start)
    group = services.group_create(name="JSOG", code="jsog", side_a_org=sg, side_b_org=dwp,
                                  secretariat_email="sec@gov.scot.invalid", actor=sg_official, now=start)
    meeting = services.meeting_schedule(group=group, held_on=D(2025, 1, 6), actor=sg_official, now=start)
    services.meeting_record_held(meeting=meeting, actor=sg_official, now=at(2025, 1, 6, 17))
    action = services.action_add(meeting=meeting, description="Send the paper", owner_name="Andrew",
                                 owner_email="andrew@dwp.invalid", due_on=D(2025, 1, 20), actor=dwp_official,
                                 now=at(2025, 1, 6, 17))
    milestone = services.milestone_add(group=group, title="Live", owner_name="DD", owner_email="dd@dwp.invalid",
                                       due_on=D(2025, 3, 31), actor=sg_official, now=start)
    return {"contact": contact, "agreement": agreement, "group": group, "meeting": meeting, "action": action,
            "milestone": milestone}


def test_what_is_due_on_each_day(world):
    assert keys(D(2025, 1, 10)) == []
    assert keys(D(2025, 1, 11)) == ["minutes"]                      # due 13 January, reminded 2 days before
    assert keys(D(2025, 1, 18)) == ["action", "minutes"]            # the action is due on the 20th
    assert keys(D(2025, 3, 24)) == ["action", "milestone", "minutes"]
    assert "meeting-overdue" in keys(D(2025, 4, 7))                  # met 6 January; due by 6 April
    assert "meeting-overdue" not in keys(D(2025, 4, 6))
    assert "extension-talks" not in keys(D(2025, 9, 29))
    assert keys(D(2025, 9, 30)).count("extension-talks") == 2        # 6 months before 31 March 2026, to each party
    assert "contact-review" not in keys(D(2025, 12, 31))
    assert keys(D(2026, 1, 1)).count("contact-review") == 3         # a year after they were checked


def test_reminders_stop_when_the_thing_is_done(world, sg_official, dwp_official):
    meeting, action = world["meeting"], world["action"]
    services.action_complete(action=action, actor=dwp_official, now=at(2025, 1, 19))
    services.minutes_draft(meeting=meeting, text="Minutes", actor=sg_official, now=at(2025, 1, 8))
    services.minutes_clear(meeting=meeting, actor=sg_official, now=at(2025, 1, 8))
    services.minutes_clear(meeting=meeting, actor=dwp_official, now=at(2025, 1, 8))
    services.minutes_circulate(meeting=meeting, actor=sg_official, now=at(2025, 1, 9))
    assert keys(D(2025, 1, 21)) == []


def test_notices_are_reminded_before_their_dates_to_both_parties(world, sla_liaison):
    agreement = world["agreement"]
    services.notice_serve(agreement=agreement, kind="DEFAULT", served_on=D(2025, 2, 3), details="Late",
                          actor=sla_liaison, now=at(2025, 2, 3))               # remedy by 5 March
    assert "notice" not in keys(D(2025, 2, 25))
    due = [r for r in reminders_due(D(2025, 2, 26)) if r.key.startswith("notice")]
    assert sorted(r.to for r in due) == ["julie@dwp.invalid", "m@leeds.invalid"]
    assert "remedy period due by 5 March 2025" in due[0].subject


def test_sending_is_idempotent_within_a_day(world, django_capture_on_commit_callbacks):
    day = D(2025, 1, 18)
    with django_capture_on_commit_callbacks(execute=True):
        first = reminders_send(today=day, now=at(2025, 1, 18, 7))
    assert first["sent"] == 2 and first["already_sent"] == 0
    assert OutboxMessage.objects.filter(notice=None, subject__contains="Action").count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["andrew@dwp.invalid", "sec@gov.scot.invalid"]
    again = reminders_send(today=day, now=at(2025, 1, 18, 12))
    assert again == {"sent": 0, "already_sent": 2, "agreements_ended": 0}
    assert SentReminder.objects.count() == 2
    next_day = reminders_send(today=D(2025, 1, 19), now=at(2025, 1, 19, 7))
    assert next_day["sent"] == 2 and SentReminder.objects.count() == 4


def test_the_command_sends_as_on_a_date_and_ends_agreements_by_notice(world, la_manager):
    services.notice_serve(agreement=world["agreement"], kind="TERMINATION", grounds="OTHER", served_on=D(2025, 1, 2),
                          details="Ending", actor=la_manager, now=at(2025, 1, 2))  # effective 2 April 2025
    import io

    out = io.StringIO()
    call_command("send_reminders", "--date", "2025-03-20", stdout=out)
    assert "reminders queued" in out.getvalue()
    assert SentReminder.objects.filter(key__startswith="notice:").count() == 2  # 13 days before it takes effect
    assert Agreement.objects.get(pk=world["agreement"].pk).status == Agreement.Status.ACTIVE


def test_a_bad_date_is_refused_by_the_command():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="must be a date like"):
        call_command("send_reminders", "--date", "tomorrow")
