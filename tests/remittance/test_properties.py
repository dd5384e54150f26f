"""Property-based: whatever the order of deduction runs, reversals and monthly remittance runs (and re-runs), no
penny is remitted twice or left out, and every remittance adds up."""

import datetime as dt

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from liaison.partners.models import Organisation, Role
from liaison.recovery.ledger import deduction_reverse, deduction_run
from liaison.recovery.models import LedgerEntry
from liaison.remittance.models import Remittance, RemittanceItem, month_end
from liaison.remittance.services import remittance_run

from .conftest import at, week

MONTHS = [dt.date(2025, 6, 1), dt.date(2025, 7, 1), dt.date(2025, 8, 1), dt.date(2025, 9, 1), dt.date(2025, 10, 1)]
FIRST_DAY = dt.date(2025, 6, 16)

action = st.one_of(
    st.tuples(st.just("deduct"), st.integers(0, 11)),                      # the run for week n, at any time
    st.tuples(st.just("reverse"), st.integers(0, 50), st.integers(0, 100)),  # a deduction, reversed on a day
    st.tuples(st.just("remit")),                                             # the next month's remittance
    st.tuples(st.just("rerun"), st.integers(0, 3)),                          # a month already run, again
)


def remittances_as_drawn():
    return {r[0]: r for r in Remittance.objects.values_list("id", "la_id", "month", "total_pence", "item_count")}


@pytest.mark.django_db
class TestRemittanceProperties(TestCase):
    @pytest.fixture(autouse=True)
    def _fixtures(self, debt_in, other_la, make_user, porth):
        self.debt_in = debt_in
        self.other_la = other_la
        self.officer = make_user(Role.PORTH_OFFICER, porth, "prop.officer")

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(balances=st.lists(st.integers(500, 12000), min_size=3, max_size=3),
           actions=st.lists(action, max_size=16))
    def test_every_cash_entry_is_remitted_exactly_once_and_every_total_adds_up(self, balances, actions):
        las = [None, None, self.other_la]  # two Leeds debts, one Cardiff
        for balance, la in zip(balances, las, strict=True):
            self.debt_in(la, balance=f"{balance // 100}.{balance % 100:02d}")
        run_months: list[dt.date] = []
        drawn: dict = {}
        for act in actions:
            if act[0] == "deduct":
                deduction_run(week_start=week(act[1]), now=at("2025-06-16"))
            elif act[0] == "reverse":
                entries = list(LedgerEntry.objects.filter(kind="DEDUCTION", reversed_by__isnull=True).order_by("id"))
                if entries:
                    entry = entries[act[1] % len(entries)]
                    day = max(entry.effective_date, FIRST_DAY + dt.timedelta(days=act[2]))
                    deduction_reverse(entry=entry, reason="property test", actor=self.officer,
                                      now=at(day.isoformat(), 12))
            elif act[0] == "remit" and len(run_months) < len(MONTHS) - 1:
                month = MONTHS[len(run_months)]
                remittance_run(month=month, now=at((month_end(month) + dt.timedelta(days=1)).isoformat()))
                run_months.append(month)
            elif act[0] == "rerun" and act[1] < len(run_months):
                month = run_months[act[1]]
                remittance_run(month=month, now=at((month_end(month) + dt.timedelta(days=5)).isoformat()))
            # A remittance, once drawn up, never changes.
            now_drawn = remittances_as_drawn()
            assert {k: v for k, v in now_drawn.items() if k in drawn} == drawn
            drawn = now_drawn

        # Whatever a month's run could not take (posted after it ran) the next month's run takes: run it, and
        # every entry effective by the end of that month must be in exactly one item.
        settle = MONTHS[len(run_months)]
        remittance_run(month=settle, now=at((month_end(settle) + dt.timedelta(days=1)).isoformat()))
        assert {k: v for k, v in remittances_as_drawn().items() if k in drawn} == drawn
        run_months.append(settle)
        last_day = month_end(settle)
        due = LedgerEntry.objects.filter(is_cash=True, effective_date__lte=last_day)
        items = RemittanceItem.objects.all()
        # No penny left out, none remitted twice...
        assert sorted(items.values_list("entry_id", flat=True)) == sorted(due.values_list("id", flat=True))
        # ...nor any paid early.
        assert not items.filter(entry__effective_date__gt=last_day).exists()
        assert (items.aggregate(t=Sum("amount_pence"))["t"] or 0) == (due.aggregate(t=Sum("amount_pence"))["t"] or 0)
        for r in Remittance.objects.all():
            agg = r.items.aggregate(t=Sum("amount_pence"))
            assert r.total_pence == (agg["t"] or 0) and r.item_count == r.items.count() > 0
            assert not r.items.exclude(entry__la_id=r.la_id).exists()
            assert not r.items.filter(entry__effective_date__gt=month_end(r.month)).exists()
            assert r.month in run_months and r.la_id in set(Organisation.objects.values_list("id", flat=True))
