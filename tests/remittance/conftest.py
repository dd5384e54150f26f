"""Debts in any LA, opened through the real referral pipeline, on the ledger's fixed calendar (weeks from Monday
16 June 2025), and an FCG finance officer."""

import datetime as dt

import pytest

from liaison.partners.models import Organisation, Role, User
from liaison.recovery.models import Debt
from liaison.referrals.models import Channel, Referral
from liaison.referrals.services import referrals_receive

LOADED_AT = dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)
FIRST_WEEK = dt.date(2025, 6, 16)


def week(n: int) -> dt.date:
    """The Monday of the nth benefit week from 16 June 2025; its deduction takes effect on the Sunday."""
    return FIRST_WEEK + dt.timedelta(weeks=n)


def at(day: str, hour: int = 9) -> dt.datetime:
    """A moment on a day in London (BST in summer: UTC+1), for `now` arguments."""
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00+01:00")


@pytest.fixture
def fcg_officer(make_user, refdata):
    return make_user(Role.FCG_FINANCE, Organisation.objects.get(code="DM-FCG"), "fcg.finance")


@pytest.fixture
def debt_in(la, make_user, referral_data, award):
    """Open a debt for an LA (Leeds by default) with an award for its debtor, through the referral pipeline."""
    def make(organisation: Organisation | None = None, balance: str = "100.00", classification: str = "error",
             customer_name: str = "Megan O'Neill") -> Debt:
        organisation = organisation or la
        officer = (User.objects.filter(organisation=organisation, role=Role.LA_OFFICER).first()
                   or make_user(Role.LA_OFFICER, organisation))
        data = referral_data(la_code=organisation.code, outstanding_balance=balance, classification=classification,
                             customer_name=customer_name, referral_date="2025-06-02", cis_checked_on="2025-06-01",
                             period_from="2024-01-01", period_to="2024-06-30")
        award(data["nino"], weekly_pence=12000, start=dt.date(2024, 1, 1))
        [result] = referrals_receive(la=organisation, channel=Channel.API, rows=[(None, data)],
                                     actor=officer, received_at=LOADED_AT)
        debt = Referral.objects.get(pk=result.referral_id).debt
        assert debt is not None, result
        return debt

    return make
