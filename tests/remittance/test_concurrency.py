"""Two remittance runs at once, on the real PostgreSQL: each entry is remitted once, each LA paid once a month."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from liaison.recovery.ledger import deduction_run
from liaison.recovery.models import LedgerEntry
from liaison.remittance.models import Remittance, RemittanceItem, month_end
from liaison.remittance.services import remittance_run

from .conftest import at, week

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (SQLite serialises writers); run with DATABASE_URL")


def run_together(*calls):
    barrier = threading.Barrier(len(calls))
    errors = []

    def worker(call):
        try:
            barrier.wait()
            call()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


@pytest.mark.parametrize("months", [("2025-06-01", "2025-06-01"), ("2025-06-01", "2025-07-01")])
def test_two_runs_at_once_remit_each_entry_once(debt_in, other_la, months):
    for n in range(4):
        debt_in(other_la if n % 2 else None)
    for n in range(3):
        deduction_run(week_start=week(n), now=at("2025-07-07"))
    run_together(*[lambda m=m: remittance_run(month=dt.date.fromisoformat(m), now=at("2025-08-02")) for m in months])
    last_day = month_end(max(dt.date.fromisoformat(m) for m in months))
    due = LedgerEntry.objects.filter(is_cash=True, effective_date__lte=last_day)
    assert sorted(RemittanceItem.objects.values_list("entry_id", flat=True)) == sorted(due.values_list("id", flat=True))
    for r in Remittance.objects.all():
        assert r.total_pence == r.items.aggregate(t=Sum("amount_pence"))["t"] and r.item_count == r.items.count()
    # Same month: one per LA, drawn up by whichever run came first. June and July: June's first (then July has
    # the rest), or July's first (then June finds nothing left).
    assert Remittance.objects.count() in ({2} if months[0] == months[1] else {2, 4})
