"""Breaches raised once, by the daily run, to the responsible party's nominated contact; the at-risk and breach
lists of each team; the reasons recorded for breaches."""

import datetime as dt

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.notices.models import OutboxMessage
from liaison.partners.models import Organisation
from liaison.sla.measure import measurements_refresh
from liaison.sla.models import Breach, Measurement
from liaison.sla.services import breach_reason_record, breaches_raise

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2024, 5, 31)
NOW = dt.datetime(2024, 5, 31, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def breaches(standards, timeline, la, scottish_la, site):
    """As of Friday 31 May 2024: two referrals breached at CC Porth (one open, one loaded late), one at risk
    (and the open one's whole response, REF-RESPONSE, is due that day: at risk too);
    a Leeds change of circumstances sent late (the LA's breach); a complaint Bradford forwarded late; and a
    referral that breached back in January (older than the lookback: not e-mailed)."""
    cases = {
        "open": timeline.referral(la, "2024-05-01 10:00", outcome="queued"),             # due 16 May
        "late": timeline.referral(scottish_la, "2024-05-01 10:00", decided="2024-05-20 10:00"),
        "risk": timeline.referral(la, "2024-05-17 10:00", outcome="queued"),             # due 3 June
        "old": timeline.referral(la, "2024-01-02 10:00", outcome="queued"),              # due 16 January
        "coc": timeline.case(la, "2024-01-10 10:00"),
        "complaint": timeline.case(scottish_la, "2024-01-10 10:00"),
    }
    timeline.event(cases["coc"], "coc.received", "2024-05-20 10:00", org=site, la_told_on="2024-05-01", coc_id=1)
    timeline.event(cases["coc"], "coc.actioned", "2024-05-21 10:00", org=site, coc_id=1)
    timeline.event(cases["complaint"], "complaint.received", "2024-05-20 10:00", org=site)
    timeline.event(cases["complaint"], "complaint.forwarded", "2024-05-29 10:00", org=site)
    measurements_refresh(as_of=TODAY)
    return cases


def test_each_new_breach_is_raised_once_to_the_responsible_partys_contact(breaches, la, porth_org, site,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = breaches_raise(today=TODAY, now=NOW)
    # CC Porth: REF-INPUT open and late; Leeds: COC-NOTIFY; Bradford: the complaint it forwarded late
    raised = sorted(Breach.objects.values_list("standard__code", "case_id"))
    assert raised == sorted([
        ("REF-INPUT", breaches["open"].pk), ("REF-INPUT", breaches["late"].pk),
        ("COC-NOTIFY", breaches["coc"].pk), ("COMPLAINT-FWD", breaches["complaint"].pk)])
    assert result.raised == 4 and result.messages == 3
    to = {m.to: m for m in OutboxMessage.objects.all()}
    assert set(to) == {porth_org.intake_email, site.intake_email, la.intake_email}
    assert to[porth_org.intake_email].subject == "Service standards: 2 new breaches on 31 May 2024"
    body = to[la.intake_email].body
    assert f"COC-NOTIFY {breaches['coc'].reference} (Leeds): due 9 May 2024, stopped 20 May 2024 after 12 working days" in body
    assert {m.to[0] for m in mail.outbox} == set(to)  # delivered through the outbox
    assert Event.objects.filter(kind="sla.breach_raised").count() == 4
    assert not Breach.objects.filter(case_id=breaches["old"].pk).exists()  # January's: older than 30 days
    assert not Breach.objects.filter(case_id=breaches["risk"].pk).exists()  # at risk, not breached

    again = breaches_raise(today=TODAY, now=NOW)
    assert (again.raised, again.messages) == (0, 0)
    assert Breach.objects.count() == 4 and OutboxMessage.objects.count() == 3


def test_a_breach_found_on_a_later_day_is_raised_then(breaches, la):
    breaches_raise(today=TODAY, now=NOW)
    later = breaches_raise(today=D(2024, 6, 4), now=NOW + dt.timedelta(days=4))
    # "risk" was due Monday 3 June: on 4 June it is breached (REF-INPUT), and raised once; so is the open one's
    # whole response (REF-RESPONSE, due 31 May)
    assert list(Breach.objects.filter(case_id=breaches["risk"].pk).values_list("standard__code", flat=True)) == [
        "REF-INPUT"]
    assert Breach.objects.filter(case_id=breaches["open"].pk, standard__code="REF-RESPONSE").exists()
    assert later.raised == 2


def test_the_nominated_contact_from_the_directory_is_used_when_named(breaches, la, refdata):
    if not apps.is_installed("liaison.governance"):
        pytest.skip("the governance app (the directory of nominated officers) is not installed")
    from liaison.governance.models import Contact, Duty

    Contact.objects.create(organisation=la, duty=Duty.SLA_LIAISON, name="Sam Lee", email="sam.lee@leeds.example",
                           last_checked_on=TODAY, created_at=NOW)
    breaches_raise(today=TODAY, now=NOW)
    breach = Breach.objects.get(standard__code="COC-NOTIFY")
    assert breach.raised_to == "Sam Lee <sam.lee@leeds.example>"
    assert OutboxMessage.objects.filter(to="sam.lee@leeds.example").exists()


def test_the_command_raises_breaches(breaches, capsys):
    call_command("raise_breaches", "--today", "2024-05-31")
    assert "4 new breaches raised in 3 e-mails" in capsys.readouterr().out


# --- The teams' lists and the reasons ------------------------------------------------------------------------

def test_each_team_sees_its_at_risk_and_breach_lists(breaches, client, porth_officer, la_officer, monkeypatch):
    from liaison.sla import views

    monkeypatch.setattr(views.timezone, "localdate", lambda *a: TODAY)
    client.force_login(porth_officer)
    page = client.get(reverse("sla:queue"))
    sections = {s["name"]: s for s in page.context["sections"]}
    assert {r["m"].case_id for r in sections["overdue"]["rows"]} == {breaches["open"].pk, breaches["old"].pk}
    assert {(r["m"].standard.code, r["m"].case_id) for r in sections["at_risk"]["rows"]} == {
        ("REF-INPUT", breaches["risk"].pk), ("REF-RESPONSE", breaches["open"].pk)}
    assert {r["m"].case_id for r in sections["late"]["rows"]} == {breaches["late"].pk}
    page = client.get(reverse("sla:queue"), {"team": "DM-CCG-BRADFORD"})
    sections = {s["name"]: s for s in page.context["sections"]}
    assert {r["m"].standard.code for r in sections["late"]["rows"]} == {"COMPLAINT-FWD"}
    client.force_login(la_officer)
    page = client.get(reverse("sla:queue"))
    sections = {s["name"]: s for s in page.context["sections"]}
    assert [r["m"].standard.code for r in sections["late"]["rows"]] == ["COC-NOTIFY"]
    assert sections["overdue"]["count"] == 0 and "Edinburgh" not in page.content.decode()


def test_the_responsible_party_records_the_reason(breaches, client, la_officer, porth_officer, other_la_officer,
                                                  monkeypatch):
    coc = Measurement.objects.get(standard__code="COC-NOTIFY")
    referral = Measurement.objects.get(standard__code="REF-INPUT", case_id=breaches["open"].pk)
    with pytest.raises(ApplicationError) as excinfo:
        breach_reason_record(measurement=referral, reason="Not ours", actor=la_officer, now=NOW)
    assert excinfo.value.status == 403
    with pytest.raises(ApplicationError):
        breach_reason_record(measurement=coc, reason=" ", actor=la_officer, now=NOW)
    breach = breach_reason_record(measurement=coc, reason="Officer on leave; the form waited in a tray",
                                  actor=la_officer, now=NOW)
    assert breach.reason_by == la_officer and breach.raised_at is None  # recorded before it was raised
    breaches_raise(today=TODAY, now=NOW)
    breach.refresh_from_db()
    assert breach.reason.startswith("Officer on leave") and breach.raised_at is None  # not raised twice
    url = reverse("sla:breach_reason", args=["REF-INPUT", referral.start_event_id])
    client.force_login(porth_officer)
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "Register unavailable for a week"}).status_code == 302
    assert Breach.objects.get(standard__code="REF-INPUT", case_id=breaches["open"].pk).reason.startswith("Register")
    client.force_login(other_la_officer)
    assert client.get(url).status_code == 404  # another LA's item: no hint it exists
    client.force_login(la_officer)
    assert client.get(url).status_code == 403  # its own LA's, but DM's to explain


def test_no_reason_for_an_item_that_did_not_breach(breaches, porth_officer):
    met = Measurement.objects.get(standard__code="REF-OUTCOME", case_id=breaches["late"].pk)
    with pytest.raises(ApplicationError) as excinfo:
        breach_reason_record(measurement=met, reason="?", actor=porth_officer, now=NOW)
    assert excinfo.value.status == 409


def test_a_dm_unit_with_no_address_falls_back_to_cc_porth(standards, timeline, la, refdata):
    fcg = Organisation.objects.get(code="DM-FCG")
    timeline.event(None, "remittance.created", "2024-04-28 06:00", la=la, month="2024-03-01", org=fcg)
    measurements_refresh(as_of=D(2024, 5, 3))
    breaches_raise(today=D(2024, 5, 3), now=NOW)
    porth = Organisation.objects.get(code="DM-PORTH")
    assert fcg.intake_email == "" and OutboxMessage.objects.get().to == porth.intake_email


def test_the_schedule_measures_every_ten_minutes_and_raises_breaches_each_morning():
    from liaison.sla.schedule import due_jobs

    early = dt.datetime(2025, 6, 24, 1, 37)
    assert due_jobs(early) == [("sla-measure", "2025-06-24T01:30")]
    later = dt.datetime(2025, 6, 24, 7, 5)
    assert due_jobs(later) == [("sla-measure", "2025-06-24T07:00"), ("sla-nightly", "2025-06-24"),
                               ("sla-breaches", "2025-06-24")]
