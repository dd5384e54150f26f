"""Debt pages, driven through their forms; the account stays fast and scoped to the parties."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liaison.notices.models import Notice
from liaison.recovery.ledger import deduction_run
from liaison.recovery.models import Debt, DebtRate, LedgerEntry, Suspension

from .conftest import FIRST_WEEK

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 9, 1, 9, 0, tzinfo=dt.UTC)


def weeks(n):
    for i in range(n):
        deduction_run(week_start=FIRST_WEEK + dt.timedelta(weeks=i), now=NOW)


def test_the_account_shows_every_entry_running_balance_rates_and_a_chart(client, la_officer, loaded_debt):
    debt = loaded_debt(balance="50.00")
    weeks(4)
    client.force_login(la_officer)
    html = client.get(reverse("recovery:debt_detail", args=[debt.pk])).content.decode()
    assert html.count("Deduction from benefit") == 4
    assert "£36.05" in html and "£22.10" in html and "£8.15" in html and "£0.00" in html  # running balance
    assert "Paid in full" in html
    assert '<svg class="liaison-chart"' in html and 'role="img"' in html and "From £50.00 on" in html
    assert "Standard rate" in html and "£13.95" in html


def test_another_la_cannot_see_the_account(client, other_la_officer, loaded_debt):
    debt = loaded_debt()
    client.force_login(other_la_officer)
    response = client.get(reverse("recovery:debt_detail", args=[debt.pk]))
    assert response.status_code == 404 and debt.debtor_name not in response.content.decode()
    listing = client.get(reverse("recovery:debt_list")).content.decode()
    assert debt.la_reference not in listing


def test_the_account_page_makes_a_fixed_number_of_queries_however_long_the_ledger(client, ccg_agent, loaded_debt):
    debt = loaded_debt(balance="9000.00")
    client.force_login(ccg_agent)
    weeks(2)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("recovery:debt_detail", args=[debt.pk]))
    for i in range(2, 12):
        deduction_run(week_start=FIRST_WEEK + dt.timedelta(weeks=i), now=NOW)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("recovery:debt_detail", args=[debt.pk]))
    assert len(many) == len(few)


def test_an_agent_records_and_grants_hardship_and_the_la_gets_lahsag(client, ccg_agent, loaded_debt):
    debt = loaded_debt(balance="500.00")
    client.force_login(ccg_agent)
    url = reverse("recovery:hardship_new", args=[debt.pk])
    response = client.post(url, {"received_on-day": "1", "received_on-month": "7", "received_on-year": "2025",
                                 "weekly_income": "120.00", "details": "Rent arrears"})
    assert response.status_code == 302
    application = debt.hardship_applications.get()
    decide = reverse("recovery:hardship_decide", args=[application.pk])
    missing = client.post(decide, {"decision": "grant", "reasons": "Outgoings exceed income"}).content.decode()
    assert "Enter the reduced weekly rate" in missing and "Enter the date the reduced rate starts" in missing
    response = client.post(decide, {"decision": "grant", "reasons": "Outgoings exceed income", "new_weekly": "5.00",
                                    "effective_from-day": "7", "effective_from-month": "7",
                                    "effective_from-year": "2025"})
    assert response.status_code == 302
    assert DebtRate.objects.get(debt=debt).weekly_pence == 500
    assert Notice.objects.filter(case=debt.case, code="LAHSAG").exists()


def test_an_la_officer_can_forward_hardship_but_not_suspend_or_stop(client, la_officer, loaded_debt):
    debt = loaded_debt()
    client.force_login(la_officer)
    response = client.post(reverse("recovery:hardship_new", args=[debt.pk]),
                           {"received_on-day": "1", "received_on-month": "7", "received_on-year": "2025"})
    assert response.status_code == 302 and debt.hardship_applications.get().forwarded_by_la
    assert client.get(reverse("recovery:debt_suspend", args=[debt.pk])).status_code == 403
    assert client.post(reverse("recovery:debt_stop", args=[debt.pk]), {"reason": "DIED"}).status_code == 403
    assert Debt.objects.get(pk=debt.pk).status == Debt.Status.IN_RECOVERY


def test_an_agent_suspends_resumes_stops_and_reverses_through_the_pages(client, ccg_agent, loaded_debt):
    debt = loaded_debt(balance="300.00")
    weeks(1)
    client.force_login(ccg_agent)
    assert client.post(reverse("recovery:debt_suspend", args=[debt.pk]), {"reason": ""}).status_code == 200
    client.post(reverse("recovery:debt_suspend", args=[debt.pk]), {"reason": "Appeal lodged"})
    suspension = Suspension.objects.get(debt=debt)
    client.post(reverse("recovery:suspension_resume", args=[suspension.pk]))
    assert Suspension.objects.get(pk=suspension.pk).ends is not None
    entry = LedgerEntry.objects.get(debt=debt)
    client.post(reverse("recovery:entry_reverse", args=[entry.pk]), {"reason": "Taken in error"})
    assert LedgerEntry.objects.filter(debt=debt, kind="REVERSAL").count() == 1
    page = client.post(reverse("recovery:debt_stop", args=[debt.pk]), {"reason": ""}).content.decode()
    assert "Choose a reason" in page
    client.post(reverse("recovery:debt_stop", args=[debt.pk]), {"reason": "NOW_ON_HB"})
    debt.refresh_from_db()
    assert debt.status == Debt.Status.RETURNED and Notice.objects.filter(case=debt.case, code="LARET").exists()


def test_bulk_suspension_by_la_pauses_its_debts(client, make_user, porth, loaded_debt, la):
    from liaison.partners.models import Role

    debt = loaded_debt()
    liaison_officer = make_user(Role.SLA_LIAISON, porth, "sla.officer")
    client.force_login(liaison_officer)
    response = client.post(reverse("recovery:suspensions"), {
        "la": la.code, "benefit": "", "starts-day": "16", "starts-month": "6", "starts-year": "2025",
        "reason": "COVID-19: all deductions paused"})
    assert response.status_code == 302
    weeks(2)
    assert not LedgerEntry.objects.filter(debt=debt).exists()
    bad = client.post(reverse("recovery:suspensions"), {"la": "X1", "reason": "x"}).content.decode()
    assert "No Local Authority has the code X1" in bad
