"""Two deduction runs for the same week at once, on the real PostgreSQL: the ledger is the same as one run's."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from liaison.recovery.ledger import deduction_run
from liaison.recovery.models import Debt, LedgerEntry

from .conftest import FIRST_WEEK

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
NOW = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (SQLite serialises writers); run with DATABASE_URL")


def test_two_workers_running_the_same_week_post_each_deduction_once(loaded_debt):
    debts = [loaded_debt(balance=f"{30 + n}.00") for n in range(12)]
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            deduction_run(week_start=FIRST_WEEK, now=NOW, chunk=3)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    rows = sorted(LedgerEntry.objects.values_list("debt_id", "amount_pence"))
    assert rows == sorted((d.pk, 1395) for d in debts)
    for debt in Debt.objects.filter(pk__in=[d.pk for d in debts]):
        assert debt.cleared_pence == 1395


def test_one_run_posts_its_chunks_from_two_sessions_at_once(loaded_debt):
    from liaison.recovery.models import DeductionRun

    debts = [loaded_debt(balance=f"{30 + n}.00") for n in range(12)]
    debts[0].__class__.objects.filter(pk=debts[0].pk).update(original_balance_pence=1395)  # paid in full this week
    run = deduction_run(week_start=FIRST_WEEK, now=NOW, chunk=2, workers=2)
    assert run.state == DeductionRun.State.DONE and run.counts == {"posted": 12, "paid_in_full": 1}
    assert not run.chunks.filter(done_at__isnull=True).exists() and run.chunks.count() >= 6
    assert run.postings.count() == run.chunks.count()  # one posting per chunk, whichever session posted it
    rows = sorted(LedgerEntry.objects.values_list("debt_id", "amount_pence"))
    assert rows == sorted((d.pk, 1395) for d in debts)
    assert Debt.objects.get(pk=debts[0].pk).status == Debt.Status.PAID_IN_FULL
