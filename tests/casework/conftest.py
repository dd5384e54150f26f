"""Casework fixtures: debts made through the real referral pipeline (tests/recovery/conftest.py), fixed dates, and a
snapshot of everything a refused request must leave as it was."""

from __future__ import annotations

import datetime as dt

import pytest

from liaison.casework.models import ChangeFile, ChangeOfCircumstances, Complaint, SoeRequest, WorkItem
from liaison.casework.services import change_notify
from liaison.core.models import Event
from liaison.notices.models import Notice, OutboxMessage
from liaison.partners.models import Organisation, Role
from liaison.recovery.models import Debt, LedgerEntry, Posting, Suspension
from tests.recovery.conftest import FIRST_WEEK, LOADED_AT, loaded_debt  # a fixture, and its dates

# Tuesday 1 July 2025, a month after the debts are loaded (Monday 2 June 2025).
NOW = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC)
TOLD_ON = "2025-06-27"


@pytest.fixture
def change_data():
    """The Appendix 7 form for a debt, as the API, the file and (with its dates split) the page send it."""
    def make(debt: Debt, **overrides) -> dict:
        data = {"customer_name": debt.debtor_name, "nino": debt.nino, "la_reference": debt.la_reference,
                "change": "repaid_in_full", "la_told_on": TOLD_ON, "details": "", "officer_name": "Priya Shah"}
        data.update(overrides)
        return data
    return make


@pytest.fixture
def notify(la, la_officer, change_data):
    """Leeds' officer sends a change for a debt (the web channel)."""
    def send(debt: Debt, *, now: dt.datetime = NOW, **overrides) -> ChangeOfCircumstances:
        return change_notify(la=la, data=change_data(debt, **overrides), actor=la_officer, channel="WEB", now=now)
    return send


@pytest.fixture
def dearne_agent(make_user, refdata):
    return make_user(Role.CCG_AGENT, Organisation.objects.get(code="DM-CCG-DEARNE"), "dearne.agent")


def snapshot() -> dict:
    """Everything casework or recovery could change: a refused request must leave all of it exactly as it was."""
    return {
        "changes": list(ChangeOfCircumstances.objects.order_by("id").values()),
        "complaints": list(Complaint.objects.order_by("id").values()),
        "soe": list(SoeRequest.objects.order_by("id").values()),
        "work": list(WorkItem.objects.order_by("id").values()),
        "files": ChangeFile.objects.count(),
        "debts": list(Debt.objects.order_by("id").values("id", "status", "cleared_pence", "closed_at", "stop_reason")),
        "entries": LedgerEntry.objects.count(), "postings": Posting.objects.count(),
        "suspensions": list(Suspension.objects.order_by("id").values("id", "starts", "ends")),
        "events": Event.objects.count(), "notices": Notice.objects.count(), "outbox": OutboxMessage.objects.count(),
    }


__all__ = ["FIRST_WEEK", "LOADED_AT", "NOW", "TOLD_ON", "loaded_debt", "snapshot"]
