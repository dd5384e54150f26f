"""The casework pages, driven through their real HTML forms with Django's test client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from liaison.casework.models import ChangeOfCircumstances, Complaint, SoeRequest, WorkItem
from liaison.casework.services import change_action, complaint_forward, complaint_record, soe_request
from liaison.core.models import Event
from liaison.recovery.models import Debt

from .conftest import snapshot

pytestmark = pytest.mark.django_db


def date_parts(name: str, day: dt.date) -> dict:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


def form(debt, change="repaid_in_full", told: dt.date | None = None, **overrides) -> dict:
    data = {"customer_name": debt.debtor_name, "nino": debt.nino, "la_reference": debt.la_reference,
            "change": change, "details": "", "officer_name": "Priya Shah",
            **date_parts("la_told_on", told or timezone.localdate())}
    data.update(overrides)
    return data


def test_an_la_officer_sends_a_change_from_the_form_and_sees_where_it_went(client, loaded_debt, la_officer):
    debt = loaded_debt()
    client.force_login(la_officer)
    page = client.get(f"/casework/changes/new/?debt={debt.pk}").content.decode()
    assert f'value="{debt.la_reference}"' in page and "Customer repaid in full" in page
    response = client.post("/casework/changes/new/", form(debt, change="now_on_hb"))
    change = ChangeOfCircumstances.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/casework/changes/{change.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "sent to CCG Bradford" in page and "Waiting for DM to action it" in page
    assert "Customer now in receipt of Housing Benefit" in page
    assert "0 working days after the LA was told" in page
    assert Event.objects.filter(case=debt.case, kind="case.viewed").exists()


def test_the_form_shows_every_fault_at_its_field_and_records_nothing(client, loaded_debt, la_officer):
    debt = loaded_debt()
    client.force_login(la_officer)
    before = snapshot()
    future = timezone.localdate() + dt.timedelta(days=3)
    html = client.post("/casework/changes/new/", form(debt, told=future, nino="QQ123456A", change="")).content.decode()
    assert "<title>Error: Tell DM about a change of circumstances" in html
    assert 'href="#la_told_on-day"' in html and "cannot be in the future" in html
    assert 'href="#nino"' in html and 'href="#change"' in html
    assert 'value="QQ123456A"' in html  # what was typed is kept
    html = client.post("/casework/changes/new/", form(debt, **{"la_told_on-day": "31", "la_told_on-month": "2"})
                       ).content.decode()
    assert "must be a real date, like 27 3 2025" in html
    assert snapshot() == before


def test_an_agent_actions_a_change_and_the_la_sees_the_effect_and_the_notice(client, loaded_debt, notify,
                                                                             la_officer, ccg_agent):
    debt = loaded_debt()
    change = notify(debt, change="repaid_in_full")
    client.force_login(ccg_agent)
    queue = client.get("/casework/queues/DM-CCG-BRADFORD/").content.decode()
    assert 'data-module="moj-sortable-table"' in queue and debt.la_reference in queue and "Overdue" in queue
    page = client.get(f"/casework/changes/{change.pk}/action/").content.decode()
    assert "The balance is settled" in page
    response = client.post(f"/casework/changes/{change.pk}/action/", {"decision": ""})
    assert response.status_code == 302
    debt.refresh_from_db()
    assert debt.status == Debt.Status.PAID_IN_FULL
    client.force_login(la_officer)
    page = client.get(f"/casework/changes/{change.pk}/").content.decode()
    assert "What DM did" in page and "settled" in page and "HBPIF: Paid in full notification" in page
    assert "Action this change" not in page


def test_the_la_records_an_appeals_outcome_from_the_page(client, loaded_debt, notify, la_officer, ccg_agent):
    debt = loaded_debt(balance="100.00")
    change = notify(debt, change="appealed")
    change_action(change=change, actor=ccg_agent, now=timezone.now())
    client.force_login(la_officer)
    page = client.get(f"/casework/changes/{change.pk}/").content.decode()
    assert "Record the appeal's outcome" in page
    url = f"/casework/changes/{change.pk}/outcome/"
    missing = client.post(url, {"outcome": "REDUCED", "amount": ""}).content.decode()
    assert 'href="#amount"' in missing and "Enter the amount the overpayment was reduced by" in missing
    bad = client.post(url, {"outcome": "REDUCED", "amount": "twelve"}).content.decode()
    assert 'href="#amount"' in bad
    assert client.post(url, {"outcome": "REDUCED", "amount": "40.00"}).status_code == 302
    debt.refresh_from_db()
    assert debt.balance_pence == 6000
    change.refresh_from_db()
    assert change.status == "CONCLUDED" and change.outcome == "REDUCED"


def test_la_users_cannot_reach_agent_actions_and_other_las_get_404(client, loaded_debt, notify, la_officer,
                                                                    other_la_officer, ccg_agent):
    debt = loaded_debt()
    change = notify(debt)
    item = WorkItem.objects.get(change=change)
    client.force_login(la_officer)
    for url in (f"/casework/changes/{change.pk}/action/", "/casework/queues/", "/casework/queues/DM-CCG-BRADFORD/",
                "/casework/complaints/new/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/casework/changes/{change.pk}/action/", {"decision": "mine"}).status_code == 403
    assert client.post(f"/casework/work/{item.pk}/assign/").status_code == 403
    change.refresh_from_db()
    assert change.status == "RECEIVED"
    client.force_login(other_la_officer)
    for url in (f"/casework/changes/{change.pk}/", f"/casework/changes/{change.pk}/outcome/"):
        assert client.get(url).status_code == 404
    assert client.get("/casework/changes/").context["page"].items == []


def test_complaint_recorded_forwarded_and_seen_by_the_la(client, loaded_debt, ccg_agent, la_officer,
                                                          other_la_officer):
    debt = loaded_debt()
    client.force_login(ccg_agent)
    bad = client.post("/casework/complaints/new/", {"debt": "D99999999"}).content.decode()
    assert 'href="#debt"' in bad and 'href="#received_on-day"' in bad and not Complaint.objects.exists()
    response = client.post("/casework/complaints/new/", {
        "debt": debt.nino, "kind": "COMPLAINT", "made_by": "The customer", "channel": "PHONE",
        "summary": "Says the deductions are too high.", **date_parts("received_on", timezone.localdate())})
    complaint = Complaint.objects.get()
    assert response["Location"] == f"/casework/complaints/{complaint.pk}/"
    client.force_login(la_officer)
    assert client.get("/casework/complaints/").context["complaints"] == []  # not forwarded yet
    assert client.get(f"/casework/complaints/{complaint.pk}/").status_code == 404
    client.force_login(ccg_agent)
    assert client.post(f"/casework/complaints/{complaint.pk}/forward/", {"note": ""}).status_code == 302
    client.force_login(la_officer)
    assert client.get("/casework/complaints/").context["complaints"] == [complaint]
    page = client.get(f"/casework/complaints/{complaint.pk}/").content.decode()
    assert "Says the deductions are too high." in page and "COMPLAINT" in page
    assert "Ask for a sequence of events" in page
    client.force_login(other_la_officer)
    assert client.get(f"/casework/complaints/{complaint.pk}/").status_code == 404


def test_the_la_asks_for_and_downloads_a_sequence_of_events(client, loaded_debt, la_officer, ccg_agent,
                                                            other_la_officer):
    debt = loaded_debt()
    complaint = complaint_record(debt=debt, kind="COMPLAINT", made_by="The customer", channel="LETTER",
                                 received_on=timezone.localdate(), summary="x", actor=ccg_agent, now=timezone.now())
    complaint_forward(complaint=complaint, actor=ccg_agent, now=timezone.now())
    client.force_login(la_officer)
    page = client.get(f"/casework/sequence-of-events/new/?complaint={complaint.pk}").content.decode()
    assert f'value="{debt.la_reference}"' in page
    unknown = client.post("/casework/sequence-of-events/new/", {"la_reference": "NOPE"}).content.decode()
    assert "No debt with LA reference NOPE is held for your authority" in unknown
    response = client.post("/casework/sequence-of-events/new/", {"la_reference": debt.la_reference,
                                                                 "complaint": complaint.pk, "reason": "Reply"})
    request = SoeRequest.objects.get()
    assert request.complaint == complaint and response["Location"] == f"/casework/sequence-of-events/{request.pk}/"
    again = client.post("/casework/sequence-of-events/new/", {"la_reference": debt.la_reference}).content.decode()
    assert "already asked for" in again and SoeRequest.objects.count() == 1
    assert client.get(f"/casework/sequence-of-events/{request.pk}/pdf/").status_code == 404  # not supplied yet
    assert client.post(f"/casework/sequence-of-events/{request.pk}/supply/").status_code == 403
    client.force_login(ccg_agent)
    assert client.post(f"/casework/sequence-of-events/{request.pk}/supply/").status_code == 302
    client.force_login(la_officer)
    download = client.get(f"/casework/sequence-of-events/{request.pk}/pdf/")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content)[:5] == b"%PDF-"
    [event] = Event.objects.filter(kind="soe.downloaded")
    assert (event.case, event.actor, event.la) == (debt.case, la_officer, debt.la)
    client.force_login(other_la_officer)
    assert client.get(f"/casework/sequence-of-events/{request.pk}/pdf/").status_code == 404


def test_the_queue_filters_and_assigns(client, loaded_debt, notify, la_officer, ccg_agent):
    change = notify(loaded_debt())
    soe_request(debt=loaded_debt(), actor=la_officer, now=timezone.now())
    client.force_login(ccg_agent)
    assert client.get("/casework/").url == "/casework/queues/"
    index = client.get("/casework/queues/").content.decode()
    assert "CCG Bradford" in index and "CC Porth" in index
    url = "/casework/queues/DM-CCG-BRADFORD/"
    assert len(client.get(url).context["items"]) == 2
    filtered = client.get(url, {"kind": "SOE"})
    assert [i.kind for i in filtered.context["items"]] == ["SOE"]
    assert "Remove this filter" in filtered.content.decode()
    item = WorkItem.objects.get(change=change)
    response = client.post(f"/casework/work/{item.pk}/assign/", {"next": url + "?assigned=me"})
    assert response["Location"] == url + "?assigned=me"
    assert [i.pk for i in client.get(url, {"assigned": "me"}).context["items"]] == [item.pk]
    evil = client.post(f"/casework/work/{item.pk}/assign/", {"next": "https://evil.example/"})
    assert evil["Location"] == url
    assert client.get("/casework/queues/NOPE/").status_code == 404
