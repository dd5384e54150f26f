"""Property-based: random sequences of deductions, reversals, hardship changes and suspensions keep the books."""

import datetime as dt

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from liaison.partners.models import Role
from liaison.recovery.ledger import (
    SuspensionScope, debt_stop, deduction_reverse, deduction_run, hardship_decide, hardship_record,
    suspension_create,
)
from liaison.recovery.models import Debt, LedgerEntry

from .conftest import FIRST_WEEK

NOW = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)

action = st.one_of(
    st.tuples(st.just("run"), st.integers(0, 11)),
    st.tuples(st.just("reverse"), st.integers(0, 50)),
    st.tuples(st.just("hardship"), st.integers(0, 2), st.integers(1, 3000), st.integers(0, 11)),
    st.tuples(st.just("suspend"), st.integers(0, 2), st.integers(0, 11), st.integers(0, 4)),
    st.tuples(st.just("stop"), st.integers(0, 2)),
)


@pytest.mark.django_db
class TestLedgerProperties(TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, loaded_debt, make_user, porth):
        self.loaded_debt = loaded_debt
        self.officer = make_user(Role.PORTH_OFFICER, porth, "prop.officer")

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(balances=st.lists(st.integers(1, 20000), min_size=3, max_size=3), actions=st.lists(action, max_size=14))
    def test_entries_always_sum_to_original_minus_balance_and_never_overdraw(self, balances, actions):
        debts = [self.loaded_debt(balance=f"{b // 100}.{b % 100:02d}") for b in balances]
        for act in actions:
            kind = act[0]
            if kind == "run":
                deduction_run(week_start=FIRST_WEEK + dt.timedelta(weeks=act[1]), now=NOW)
            elif kind == "reverse":
                entries = list(LedgerEntry.objects.filter(kind="DEDUCTION", reversed_by__isnull=True).order_by("id"))
                if entries:
                    deduction_reverse(entry=entries[act[1] % len(entries)], reason="property test",
                                      actor=self.officer, now=NOW)
            elif kind == "hardship":
                debt = debts[act[1]]
                application = hardship_record(debt=debt, received_on=dt.date(2025, 6, 1), forwarded_by_la=False,
                                              details="", actor=self.officer, now=NOW)
                hardship_decide(application=application, grant=True, reasons="test", new_weekly_pence=act[2],
                                effective_from=FIRST_WEEK + dt.timedelta(weeks=act[3]), actor=self.officer, now=NOW)
            elif kind == "suspend":
                start = FIRST_WEEK + dt.timedelta(weeks=act[2])
                suspension_create(scope=SuspensionScope(debt=debts[act[1]]), starts=start,
                                  ends=start + dt.timedelta(weeks=act[3], days=6), reason="test",
                                  actor=self.officer, now=NOW)
            elif kind == "stop":
                debt = Debt.objects.get(pk=debts[act[1]].pk)
                if debt.status == Debt.Status.IN_RECOVERY:
                    debt_stop(debt=debt, reason=Debt.StopReason.AWARD_ENDED, actor=self.officer, now=NOW)
        for original in debts:
            debt = Debt.objects.get(pk=original.pk)
            total = LedgerEntry.objects.filter(debt=debt).aggregate(t=Sum("amount_pence"))["t"] or 0
            assert total == debt.original_balance_pence - debt.balance_pence
            assert 0 <= debt.balance_pence <= debt.original_balance_pence
            assert (debt.status == Debt.Status.PAID_IN_FULL) == (
                debt.balance_pence == 0 and not debt.entries.filter(kind="RETURNED_TO_LA").exists())
            weeks = list(debt.entries.filter(kind="DEDUCTION").values_list("week_start", flat=True))
            assert len(weeks) == len(set(weeks))  # one deduction a week at most
