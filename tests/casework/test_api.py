"""The changes of circumstances API (`/api/v1/changes/`): who may call it, what it answers, what bad input gets."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from liaison.casework.models import ChangeOfCircumstances
from liaison.partners.models import ApiToken

from .conftest import snapshot

pytestmark = pytest.mark.django_db
CHANGES = "/api/v1/changes/"


def api(user) -> Client:
    _, token = ApiToken.issue(user=user, name="system")
    return Client(headers={"Authorization": f"Bearer {token}"})


def post(client: Client, body) -> object:
    return client.post(CHANGES, body if isinstance(body, str) else json.dumps(body), content_type="application/json")


def iso(value) -> str:
    return timezone.localtime(value).isoformat().replace("+00:00", "Z")


def test_an_la_system_sends_a_change_and_gets_it_back_routed(loaded_debt, change_data, la_officer):
    debt = loaded_debt()
    response = post(api(la_officer), change_data(debt, change="appealed", details="Tribunal appeal",
                                                 la_told_on=timezone.localdate().isoformat()))
    assert response.status_code == 201, response.json()
    change = ChangeOfCircumstances.objects.get()
    assert response.json() == {
        "id": change.pk, "reference": change.reference, "case_reference": debt.case.reference,
        "debt_reference": debt.reference, "la_code": "E08000035", "la_reference": debt.la_reference,
        "customer_name": debt.debtor_name, "nino": debt.nino, "change": "appealed",
        "change_label": "Customer has appealed or disputed the overpayment decision",
        "la_told_on": timezone.localdate().isoformat(), "details": "Tribunal appeal", "officer_name": "Priya Shah",
        "channel": "API", "received_at": iso(change.received_at), "site_code": "DM-CCG-BRADFORD",
        "site_name": "CCG Bradford", "due_on": change.due_on.isoformat(), "status": "RECEIVED",
        "status_label": "Waiting for DM to action it", "actioned_at": None, "effect": "", "decision": "",
        "outcome": "", "outcome_amount_pence": None, "debt_status": "IN_RECOVERY", "debt_balance_pence": 10000}
    assert change.channel == "API" and change.submitted_by == la_officer


def test_bad_input_is_refused_with_every_fault_and_nothing_recorded(loaded_debt, change_data, la_officer):
    debt = loaded_debt()
    client = api(la_officer)
    before = snapshot()
    response = post(client, change_data(debt, nino="JH999999A", la_told_on="2099-01-01", change="gone"))
    assert response.status_code == 400
    assert response.json() == {"detail": "The change of circumstances was not accepted: 3 problems", "faults": [
        {"field": "change", "label": "Change of circumstances",
         "message": "Change of circumstances must be one of repaid_in_full, now_on_hb, la_arrangements, appealed, "
                    "other"},
        {"field": "la_told_on", "label": "Date your overpayment team was told",
         "message": "Date your overpayment team was told cannot be in the future"},
        {"field": "nino", "label": "National Insurance number",
         "message": f"National Insurance number does not match the debt with LA reference {debt.la_reference}"}]}
    for body in ("[1, 2]", "not json", json.dumps({"customer_name": "x" * 5000})):
        assert post(client, body).status_code == 400
    assert snapshot() == before


def test_the_same_open_change_again_is_a_conflict(loaded_debt, change_data, la_officer):
    debt = loaded_debt()
    client = api(la_officer)
    body = change_data(debt, la_told_on=timezone.localdate().isoformat())
    assert post(client, body).status_code == 201
    again = post(client, body)
    assert again.status_code == 409 and again.json()["faults"][0]["field"] == "change"
    assert ChangeOfCircumstances.objects.count() == 1


def test_another_las_debt_is_no_such_debt_and_its_changes_are_not_found(loaded_debt, change_data, la_officer,
                                                                         other_la_officer):
    debt = loaded_debt()
    mine = post(api(la_officer), change_data(debt, la_told_on=timezone.localdate().isoformat())).json()
    cardiff = api(other_la_officer)
    response = post(cardiff, change_data(debt))
    assert response.status_code == 400
    assert response.json()["faults"] == [{"field": "la_reference", "label": "LA reference number", "message": (
        f"No debt with LA reference {debt.la_reference} is being recovered for your authority: check the reference "
        "on the recovery start letter (HBREC)")}]
    assert cardiff.get(f"{CHANGES}{mine['id']}/").status_code == 404
    assert cardiff.get(f"{CHANGES}{mine['id'] + 1000}/").json() == cardiff.get(f"{CHANGES}{mine['id']}/").json()
    assert cardiff.get(CHANGES).json()["results"] == []
    assert cardiff.get(CHANGES, {"la_reference": debt.la_reference}).json()["results"] == []


def test_lists_are_scoped_and_filtered_and_dm_cannot_send_changes(loaded_debt, change_data, la_officer, ccg_agent):
    debts = [loaded_debt(), loaded_debt()]
    client = api(la_officer)
    today = timezone.localdate().isoformat()
    for debt in debts:
        post(client, change_data(debt, la_told_on=today))
    listed = client.get(CHANGES).json()["results"]
    assert [c["la_reference"] for c in listed] == [debts[1].la_reference, debts[0].la_reference]
    one = client.get(CHANGES, {"la_reference": debts[0].la_reference}).json()["results"]
    assert [c["la_reference"] for c in one] == [debts[0].la_reference]
    assert client.get(CHANGES, {"status": "NOPE"}).status_code == 400
    dm = api(ccg_agent)
    assert len(dm.get(CHANGES).json()["results"]) == 2
    refused = post(dm, change_data(debts[0], la_told_on=today))
    assert refused.status_code == 403 and ChangeOfCircumstances.objects.count() == 2
    assert Client().get(CHANGES).status_code == 401
