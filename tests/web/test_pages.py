"""The pages, driven through their real HTML forms with Django's test client."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from liaison.referrals.models import Referral, Status

pytestmark = pytest.mark.django_db


def form_post(data: dict) -> dict:
    """Referral data as the page posts it: dates split into day, month and year."""
    post = {}
    for key, value in data.items():
        if key in {"referral_date", "cis_checked_on", "date_of_birth", "period_from", "period_to"} and value:
            day = dt.date.fromisoformat(value)
            post.update({f"{key}-day": str(day.day), f"{key}-month": str(day.month), f"{key}-year": str(day.year)})
        else:
            post[key] = value
    return post


def test_the_form_shows_every_fault_and_records_nothing(client, la_officer):
    client.force_login(la_officer)
    response = client.post(reverse("web:referral_new"), {"la_code": "E08000035", "nino": "QQ123456A",
                                                         "date_of_birth-day": "31", "date_of_birth-month": "2",
                                                         "date_of_birth-year": "1980"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html and "<title>Error: Refer an overpayment" in html
    assert 'href="#nino"' in html and "not one HMRC issues" in html
    assert 'href="#date_of_birth-day"' in html and "must be a real date, like 27 3 2025" in html
    assert 'href="#outstanding_balance"' in html and "Enter the outstanding balance" in html
    assert 'value="QQ123456A"' in html  # what was typed is kept
    assert Referral.objects.count() == 0


def test_a_good_referral_from_the_form_is_loaded_and_shown(client, la_officer, referral_data, award):
    client.force_login(la_officer)
    data = referral_data()
    award(data["nino"])
    response = client.post(reverse("web:referral_new"), form_post(data))
    referral = Referral.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("web:referral_detail", args=[referral.pk])
    assert referral.channel == "WEB" and referral.status == Status.LOADED
    page = client.get(response["Location"]).content.decode()
    assert "Loaded for recovery" in page and "HBREC: Recovery start letter" in page
    assert "Referral " + data["la_reference"] + " received by web form" in page


def test_the_form_page_offers_every_choice(client, la_officer):
    client.force_login(la_officer)
    html = client.get(reverse("web:referral_new")).content.decode()
    for text in ("Housing Benefit", "Council Tax Benefit", "Is this a Civil Penalty?", "Failure to disclose",
                 "Misrepresentation of a material fact", "Fraud", "Earnings not declared or changed",
                 'name="period_from-day"', 'value="E08000035"'):
        assert text in html


def test_dm_users_cannot_refer(client, porth_officer):
    client.force_login(porth_officer)
    assert client.get(reverse("web:referral_new")).status_code == 403


def test_porth_decides_a_queued_referral_from_the_page(client, la, la_officer, porth_officer, referral_data, award):
    from liaison.referrals.services import referrals_receive

    first = referral_data()
    award(first["nino"])
    referrals_receive(la=la, channel="API", rows=[(None, first)], actor=la_officer)
    [queued] = referrals_receive(la=la, channel="API", actor=la_officer,
                                 rows=[(None, dict(first, la_reference="X/2", outstanding_balance="10.00"))])
    client.force_login(porth_officer)
    queue = client.get(reverse("web:queue")).content.decode()
    assert "X/2" in queue and "Possible duplicate" in queue
    url = reverse("web:queue_decide", args=[queued.referral_id])
    missing = client.post(url, {"outcome": "NOT_LOADED_DUPLICATE", "reasons": ""}).content.decode()
    assert "Give the reasons for your decision" in missing
    response = client.post(url, {"outcome": "NOT_LOADED_DUPLICATE", "reasons": "Same debt, balance keyed wrongly."})
    assert response.status_code == 302
    referral = Referral.objects.get(pk=queued.referral_id)
    assert referral.status == Status.NOT_LOADED_DUPLICATE and referral.decided_by == porth_officer
    assert referral.case.notices.get().code == "CLERICAL"


def test_la_users_cannot_open_the_queue(client, la_officer):
    client.force_login(la_officer)
    assert client.get(reverse("web:queue")).status_code == 403


def test_the_demo_data_shows_every_outcome(refdata):
    from liaison.web.demo import demo_load

    result = demo_load(now=timezone.now())
    assert set(result["outcomes"]) >= {"LOADED", "RETURNED_NON_QUALITY", "RETURNED_NO_BENEFIT", "NOT_LOADED_PLAN",
                                       "NOT_LOADED_DUPLICATE", "QUEUED"}
    # Casework to try: a change actioned and one waiting, a complaint forwarded and an MP enquiry waiting, a sequence
    # of events supplied and one asked for.
    from liaison.casework.models import ChangeOfCircumstances, Complaint, SoeRequest

    assert sorted(ChangeOfCircumstances.objects.values_list("status", flat=True)) == ["AWAITING_OUTCOME", "RECEIVED"]
    assert sorted(Complaint.objects.values_list("status", flat=True)) == ["FORWARDED", "RECEIVED"]
    assert sorted(SoeRequest.objects.values_list("status", flat=True)) == ["REQUESTED", "SUPPLIED"]
    assert demo_load()["created"] is False  # re-runnable
