"""Shared fixtures: reference data, people in every role, a benefit register, and valid referral data."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from liaison.benefits.models import Award, Benefit
from liaison.partners.models import Organisation, Role, User

_nino_numbers = itertools.count(100001)


@pytest.fixture
def refdata(db):
    """The reference data, loaded the way an operator loads it (idempotent, so cheap after a flush too)."""
    if not Organisation.objects.filter(code="DM-PORTH").exists():
        from django.core.management import call_command

        call_command("load_reference_data", stdout=open("/dev/null", "w"))
    return True


@pytest.fixture
def la(refdata) -> Organisation:
    return Organisation.objects.get(code="E08000035")  # Leeds


@pytest.fixture
def other_la(refdata) -> Organisation:
    return Organisation.objects.get(code="W06000015")  # Cardiff


@pytest.fixture
def porth(refdata) -> Organisation:
    return Organisation.objects.get(code="DM-PORTH")


@pytest.fixture
def make_user(refdata):
    def make(role: str, organisation: Organisation, username: str | None = None, **extra) -> User:
        username = username or f"{role.lower()}-{organisation.code.lower()}-{User.objects.count()}"
        return User.objects.create_user(username=username, password="correct-horse-battery", role=role,
                                        organisation=organisation, first_name=role.title(), last_name="Tester",
                                        **extra)
    return make


@pytest.fixture
def la_officer(make_user, la) -> User:
    return make_user(Role.LA_OFFICER, la, "la.officer")


@pytest.fixture
def other_la_officer(make_user, other_la) -> User:
    return make_user(Role.LA_OFFICER, other_la, "other.la.officer")


@pytest.fixture
def porth_officer(make_user, porth) -> User:
    return make_user(Role.PORTH_OFFICER, porth, "porth.officer")


@pytest.fixture
def ccg_agent(make_user, refdata) -> User:
    return make_user(Role.CCG_AGENT, Organisation.objects.get(code="DM-CCG-BRADFORD"), "ccg.agent")


@pytest.fixture
def new_nino():
    def make() -> str:
        return f"JH{next(_nino_numbers):06d}C"
    return make


@pytest.fixture
def award(refdata):
    """Give a NINO a current award of a prescribed benefit in the benefit register."""
    def make(nino: str, benefit: str = "ESA", weekly_pence: int = 12000, start: dt.date | None = None,
             end: dt.date | None = None) -> Award:
        return Award.objects.create(nino=nino, benefit=Benefit.objects.get(code=benefit),
                                    weekly_amount_pence=weekly_pence,
                                    start=start or timezone.localdate() - dt.timedelta(days=100), end=end)
    return make


@pytest.fixture
def referral_data(la, new_nino):
    """Valid National Referral form data for Leeds, as the API or a file would send it."""
    refs = itertools.count(1)

    def make(**overrides) -> dict:
        today = timezone.localdate()
        data = {
            "la_code": la.code, "referral_date": today.isoformat(),
            "cis_checked_on": (today - dt.timedelta(days=1)).isoformat(),
            "customer_name": "Megan O'Neill", "address_line_1": "12 Station Road", "address_line_2": "",
            "address_line_3": "Leeds", "address_line_4": "", "postcode": "LS1 4DY", "nino": new_nino(),
            "date_of_birth": "1980-03-31", "la_reference": f"LDS/OP/{next(refs):05d}-{new_nino()[2:8]}",
            "benefit": "HB", "civil_penalty": "no", "civil_penalty_overpayment_reference": "",
            "cause": "failure_to_disclose", "classification": "error", "reason": "EARNINGS", "reason_other": "",
            "period_from": (today - dt.timedelta(days=400)).isoformat(),
            "period_to": (today - dt.timedelta(days=200)).isoformat(),
            "amount_recovered": "100.00", "outstanding_balance": "1234.56",
        }
        data.update(overrides)
        return data
    return make


@pytest.fixture
def second_chunk_fails(monkeypatch):
    """`arrange(error)`: a referral file, in chunks of 2 rows, fails once on its second chunk with `error` (a fault
    in Liaison, not in the file), before anything of that chunk commits; carrying it on then goes through."""
    from liaison.referrals import bulk

    def arrange(error: Exception) -> None:
        monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
        real_receive, calls = bulk.referrals_receive, []

        def receive(**kwargs):
            calls.append(1)
            if len(calls) == 2:
                raise error
            return real_receive(**kwargs)

        monkeypatch.setattr(bulk, "referrals_receive", receive)

    return arrange
