import datetime as dt

import pytest

from liaison.recovery.models import Debt
from liaison.referrals.models import Channel, Referral
from liaison.referrals.services import referrals_receive

# A fixed calendar: loaded on Monday 2 June 2025, recovery starts Monday 16 June 2025 (2025/26 rates apply).
LOADED_AT = dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)
FIRST_WEEK = dt.date(2025, 6, 16)


@pytest.fixture
def loaded_debt(la, la_officer, referral_data, award):
    """Open a debt through the real referral pipeline, with an award for its debtor."""
    def make(balance="100.00", classification="error", weekly_award=12000, benefit="ESA") -> Debt:
        data = referral_data(outstanding_balance=balance, classification=classification,
                             referral_date="2025-06-02", cis_checked_on="2025-06-01",
                             period_from="2024-01-01", period_to="2024-06-30")
        award(data["nino"], benefit=benefit, weekly_pence=weekly_award, start=dt.date(2024, 1, 1))
        [result] = referrals_receive(la=la, channel=Channel.API, rows=[(None, data)], actor=la_officer,
                                     received_at=LOADED_AT)
        debt = Referral.objects.get(pk=result.referral_id).debt
        assert debt is not None, result
        return debt
    return make
