"""Fixtures for the SLA tests: cases with known timelines, written straight onto the timeline (core.Event) with
known times, the way every app writes them. Times are given in London local time and stored as UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from liaison.core.models import Case, Event
from liaison.partners.models import Organisation, Role
from liaison.sla.reference import standards_load

LONDON = ZoneInfo("Europe/London")


def at(text: str) -> dt.datetime:
    """'2024-04-01 00:30' in London, as an aware datetime."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.fixture
def standards(refdata):
    standards_load()
    return True


@pytest.fixture
def porth_org(refdata):
    return Organisation.objects.get(code="DM-PORTH")


@pytest.fixture
def site(refdata):
    return Organisation.objects.get(code="DM-CCG-BRADFORD")


@pytest.fixture
def scottish_la(refdata):
    return Organisation.objects.get(code="S12000036")  # City of Edinburgh


class Timeline:
    """Builds cases and their events."""

    def __init__(self):
        self.porth = Organisation.objects.get(code="DM-PORTH")

    def case(self, la, opened: str) -> Case:
        return Case.objects.create(la=la, opened_at=at(opened))

    def event(self, case: Case | None, kind: str, when: str, *, la=None, org=None, **data) -> Event:
        return Event.objects.create(case=case, la=la or case.la, kind=kind, occurred_at=at(when), summary=kind,
                                    actor_organisation=org, data=data)

    def referral(self, la, received: str, *, outcome: str = "loaded", decided: str | None = None,
                 notice: str | None = None, faults: list | None = None) -> Case:
        """A referral received at `received`; its outcome at `decided` (default: at once, as automatic scrutiny
        does); its outcome notice at `notice` (default: with the outcome). `outcome` is loaded, returned,
        non_quality, not_loaded or queued (no outcome yet)."""
        case = self.case(la, received)
        self.event(case, "referral.received", received, org=la)
        if outcome != "non_quality":
            self.event(case, "referral.validated", received, org=self.porth)
        if outcome == "queued":
            self.event(case, "referral.queued", received, org=self.porth)
            return case
        decided = decided or received
        if outcome == "non_quality":
            self.event(case, "referral.returned", decided, org=self.porth, status="RETURNED_NON_QUALITY",
                       faults=faults or [{"field": "nino", "label": "National Insurance number",
                                          "message": "Enter a valid National Insurance number"}])
            code = "LARETM"
        elif outcome == "returned":
            self.event(case, "referral.returned", decided, org=self.porth, status="RETURNED_NO_BENEFIT")
            code = "LARET"
        elif outcome == "not_loaded":
            self.event(case, "referral.not_loaded", decided, org=self.porth, status="NOT_LOADED_DUPLICATE")
            code = "CLERICAL"
        else:
            self.event(case, "referral.loaded", decided, org=self.porth, status="LOADED")
            code = "HBREC"
        if notice != "never":
            self.event(case, "notice.issued", notice or decided, org=self.porth, code=code, notice_id=case.pk)
        return case


@pytest.fixture
def timeline(refdata):
    return Timeline()


@pytest.fixture
def sla_liaison(make_user, refdata):
    return make_user(Role.SLA_LIAISON, Organisation.objects.get(code="DM-PORTH"), "sla.liaison")


@pytest.fixture
def la_manager(make_user, la):
    return make_user(Role.LA_MANAGER, la, "la.manager")
