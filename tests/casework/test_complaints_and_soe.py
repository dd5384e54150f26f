"""Complaints and MP enquiries forwarded to the LA, and sequences of events built from the case's timeline."""

from __future__ import annotations

import datetime as dt

import pytest

from liaison.casework import soe
from liaison.casework.models import Complaint, SoeRequest, WorkItem
from liaison.casework.selectors import complaints_for
from liaison.casework.services import change_action, complaint_forward, complaint_record, soe_request, soe_supply
from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.notices.models import Notice, OutboxMessage
from liaison.recovery.ledger import deduction_reverse, deduction_run

from .conftest import FIRST_WEEK, NOW, snapshot

pytestmark = pytest.mark.django_db


def _complaint(debt, agent, **overrides) -> Complaint:
    kwargs = {"debt": debt, "kind": Complaint.Kind.MP_ENQUIRY, "made_by": "Rachel Reeves MP (Leeds West and Pudsey)",
              "received_on": dt.date(2025, 6, 30), "channel": Complaint.ReceivedBy.LETTER,
              "summary": "Asks why deductions started before the customer was written to.", "actor": agent,
              "now": NOW}
    kwargs.update(overrides)
    return complaint_record(**kwargs)


def test_a_complaint_waits_at_the_agents_site_due_in_three_working_days(loaded_debt, dearne_agent):
    debt = loaded_debt()
    complaint = _complaint(debt, dearne_agent)
    assert complaint.site.code == "DM-CCG-DEARNE"  # the site that received it, not the debt's (Bradford)
    assert complaint.due_on == dt.date(2025, 7, 3)  # received Monday 30 June + 3 working days
    item = WorkItem.objects.get(complaint=complaint)
    assert (item.site, item.standard, item.due_on) == (complaint.site, "COMPLAINT-FWD", complaint.due_on)
    [event] = Event.objects.filter(case=debt.case, kind="complaint.received")
    # The clock starts when the site received it: the start of that day (London), not when it was typed in.
    assert event.occurred_at == dt.datetime(2025, 6, 29, 23, 0, tzinfo=dt.UTC)
    assert (event.la, event.actor_organisation.code, event.data["received_on"]) == (debt.la, "DM-CCG-DEARNE",
                                                                                    "2025-06-30")


def test_forwarding_sends_the_la_a_notice_and_an_email_and_it_appears_in_its_list(loaded_debt, ccg_agent,
                                                                                   la_officer, other_la_officer):
    debt = loaded_debt()
    complaint = _complaint(debt, ccg_agent, received_on=NOW.date())
    assert list(complaints_for(la_officer)) == []  # the LA sees it once it is forwarded to it
    forwarded_at = NOW + dt.timedelta(hours=3)
    complaint_forward(complaint=complaint, note="Customer told the LA will reply.", actor=ccg_agent,
                      now=forwarded_at)
    complaint.refresh_from_db()
    assert (complaint.status, complaint.forwarded_at, complaint.forwarded_by) == ("FORWARDED", forwarded_at,
                                                                                 ccg_agent)
    notice = complaint.notice
    assert (notice.code, notice.la, notice.issued_at) == ("COMPLAINT", debt.la, forwarded_at)
    assert notice.context["made_by"].startswith("Rachel Reeves MP") and notice.context["note"]
    email = OutboxMessage.objects.get(notice=notice)
    assert email.to == debt.la.intake_email and email.subject.startswith("COMPLAINT: ")
    assert list(complaints_for(la_officer)) == [complaint] and list(complaints_for(other_la_officer)) == []
    assert WorkItem.objects.get(complaint=complaint).state == "DONE"
    [event] = Event.objects.filter(case=debt.case, kind="complaint.forwarded")
    assert (event.occurred_at, event.la, event.actor) == (forwarded_at, debt.la, ccg_agent)


def test_bad_complaints_are_refused_and_nothing_is_recorded(loaded_debt, ccg_agent, la_officer):
    debt = loaded_debt()
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        _complaint(debt, ccg_agent, received_on=dt.date(2025, 7, 2), kind="GRIPE", made_by="", summary="",
                   channel="PIGEON")
    assert set(refused.value.extra["faults"]) == {"received_on", "kind", "made_by", "summary", "channel"}
    assert refused.value.extra["faults"]["received_on"] == "The date it was received cannot be in the future"
    with pytest.raises(ApplicationError) as la_user:
        _complaint(debt, la_officer)
    assert la_user.value.status == 403
    assert snapshot() == before
    complaint = _complaint(debt, ccg_agent)
    complaint_forward(complaint=complaint, actor=ccg_agent, now=NOW)
    before = snapshot()
    with pytest.raises(ApplicationError) as twice:
        complaint_forward(complaint=complaint, actor=ccg_agent, now=NOW)
    assert twice.value.status == 409 and snapshot() == before


def test_the_la_asks_for_a_sequence_of_events_once_and_it_waits_at_the_debts_site(loaded_debt, la_officer,
                                                                                   other_la_officer, ccg_agent):
    debt = loaded_debt()
    before = snapshot()
    for who in (other_la_officer, ccg_agent):
        with pytest.raises(ApplicationError) as refused:
            soe_request(debt=debt, actor=who, now=NOW)
        assert refused.value.status == 403
    assert snapshot() == before
    request = soe_request(debt=debt, reason="To reply to an MP", actor=la_officer, now=NOW)
    assert (request.site.code, request.due_on) == ("DM-CCG-BRADFORD", dt.date(2025, 7, 10))  # 7 working days
    assert WorkItem.objects.get(soe_request=request).standard == "SOE"
    before = snapshot()
    with pytest.raises(ApplicationError) as again:
        soe_request(debt=debt, actor=la_officer, now=NOW)
    assert again.value.status == 409 and "already asked for on 1 July 2025" in again.value.message
    assert snapshot() == before
    [event] = Event.objects.filter(case=debt.case, kind="soe.requested")
    assert (event.occurred_at, event.la, event.actor, event.data["soe_id"]) == (NOW, debt.la, la_officer, request.pk)


def test_the_sequence_of_events_holds_every_step_with_dates_people_and_money(loaded_debt, notify, la_officer,
                                                                           ccg_agent, client):
    debt = loaded_debt(balance="100.00")
    for n in range(3):
        deduction_run(week_start=FIRST_WEEK + dt.timedelta(weeks=n), now=NOW)  # June and July deductions
    deduction_reverse(entry=debt.entries.order_by("id").last(), reason="Taken in error", actor=ccg_agent,
                      now=NOW + dt.timedelta(days=8))
    change = notify(debt, change="other", details="New address")
    change_action(change=change, decision="Address noted.", actor=ccg_agent, now=NOW + dt.timedelta(days=1))
    client.force_login(la_officer)
    client.get(f"/debts/{debt.pk}/")  # a view: recorded on the timeline, but not part of the history
    request = soe_request(debt=debt, actor=la_officer, now=NOW + dt.timedelta(days=9))
    document = soe.build(debt, until=NOW + dt.timedelta(days=10), request=request, prepared_by=ccg_agent)
    whats = [s.what for s in document.steps]
    assert whats[0].startswith("Referral ") and "received by api" in whats[0]
    assert any(w.startswith("Loaded onto Debt Manager") for w in whats)
    assert any(w.startswith("HBREC issued") for w in whats)
    assert any("Change of circumstances received from the LA: Other" in w for w in whats)
    assert any("Deduction of £13.95 for the week of 30 June 2025 reversed" in w for w in whats)
    assert any(w.startswith("Sequence of events requested") for w in whats)
    assert not any("viewed" in w for w in whats)
    assert [s.when for s in document.steps] == sorted(s.when for s in document.steps)
    change_step = next(s for s in document.steps if "actioned" in s.what)
    assert (change_step.who, change_step.organisation) == (ccg_agent.display_name, "CCG Bradford")
    months = [(m.month, m.deductions, m.deducted_pence, m.reversed_pence, m.balance_after_pence)
              for m in document.months]
    assert months == [(dt.date(2025, 6, 1), 2, 2790, 0, 7210), (dt.date(2025, 7, 1), 1, 1395, 1395, 7210)]
    html = soe.render_html(document)
    assert "Sequence of events for " + debt.la_reference in html and "£13.95" in html and "£72.10" in html

    supplied_at = NOW + dt.timedelta(days=10)
    soe_supply(request=request, actor=ccg_agent, now=supplied_at)
    request.refresh_from_db()
    assert request.status == SoeRequest.Status.SUPPLIED and request.supplied_at == supplied_at
    with request.document.open("rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert Notice.objects.get(case=debt.case, code="SOE").context["request_reference"] == request.reference
    [event] = Event.objects.filter(case=debt.case, kind="soe.supplied")
    assert (event.occurred_at, event.la, event.actor) == (supplied_at, debt.la, ccg_agent)
    assert WorkItem.objects.get(soe_request=request).state == "DONE"
    with pytest.raises(ApplicationError) as twice:
        soe_supply(request=request, actor=ccg_agent, now=supplied_at)
    assert twice.value.status == 409
