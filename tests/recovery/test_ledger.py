"""The debt ledger and the weekly deduction run (fixed dates: 'today' is always passed in)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum

from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.notices.models import Notice
from liaison.recovery.ledger import (
    SuspensionScope, balance_as_of, debt_stop, deduction_reverse, deduction_run, hardship_decide, hardship_record,
    suspension_create, suspension_lift,
)
from liaison.recovery.models import Debt, DeductionRun, LedgerEntry, Posting

from .conftest import FIRST_WEEK

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC)


def week(n: int) -> dt.date:
    return FIRST_WEEK + dt.timedelta(weeks=n)


def ledger(debt):
    return list(LedgerEntry.objects.filter(debt=debt).order_by("id").values_list("kind", "amount_pence", "week_start"))


def test_a_week_posts_one_deduction_at_the_rate_and_the_balance_is_derived(loaded_debt):
    debt = loaded_debt(balance="100.00")
    run = deduction_run(week_start=week(0), now=NOW)
    assert run.state == DeductionRun.State.DONE and run.counts["posted"] == 1
    assert ledger(debt) == [("DEDUCTION", 1395, week(0))]  # the 2025/26 standard rate
    debt.refresh_from_db()
    assert debt.balance_pence == 10000 - 1395
    assert balance_as_of(debt, week(0)) == 10000  # takes effect at the end of the benefit week
    assert balance_as_of(debt, week(0) + dt.timedelta(days=6)) == 10000 - 1395


def test_rerunning_a_week_posts_nothing_new(loaded_debt):
    debt = loaded_debt()
    deduction_run(week_start=week(0), now=NOW)
    run = DeductionRun.objects.get(week_start=week(0))
    run.chunks.all().delete()  # force a full re-run
    DeductionRun.objects.filter(pk=run.pk).update(state="RUNNING")
    deduction_run(week_start=week(0), now=NOW)
    assert len(ledger(debt)) == 1
    debt.refresh_from_db()
    assert debt.cleared_pence == 1395


def test_a_deduction_already_posted_outside_the_run_is_skipped_and_the_rest_are_posted(loaded_debt):
    # The run does not look for this week's deductions (only it posts them, a chunk at a time): if one is there
    # all the same, the unique index refuses the chunk's first attempt and the chunk is posted again, looking.
    first, second = loaded_debt(balance="100.00"), loaded_debt(balance="100.00")
    posting = Posting.objects.create(created_at=NOW, kind="test")
    LedgerEntry.objects.create(debt=first, la_id=first.la_id, kind="DEDUCTION", is_cash=True, amount_pence=500,
                               effective_date=week(0), recorded_at=NOW, week_start=week(0), posting=posting,
                               benefit_id="ESA")
    Debt.objects.filter(pk=first.pk).update(cleared_pence=500)
    run = deduction_run(week_start=week(0), now=NOW)
    assert run.counts["posted"] == 1
    assert ledger(first) == [("DEDUCTION", 500, week(0))]
    assert ledger(second) == [("DEDUCTION", 1395, week(0))]
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.cleared_pence, second.cleared_pence) == (500, 1395)


def test_no_deduction_before_recovery_starts_or_without_a_current_award(loaded_debt, award):
    debt = loaded_debt()
    deduction_run(week_start=week(-1), now=NOW)
    assert ledger(debt) == []
    from liaison.benefits.models import Award

    Award.objects.filter(nino=debt.nino).update(end=week(1) - dt.timedelta(days=1))
    deduction_run(week_start=week(0), now=NOW)
    deduction_run(week_start=week(1), now=NOW)
    assert [e[2] for e in ledger(debt)] == [week(0)]


def test_fraud_rate_never_more_than_the_balance_nor_below_the_award_floor(loaded_debt):
    fraud = loaded_debt(balance="30.00", classification="fraud")
    small_award = loaded_debt(balance="500.00", weekly_award=1000)  # £10.00 a week: 10p must be left
    for n in range(3):
        deduction_run(week_start=week(n), now=NOW)
    assert [a for _, a, _ in ledger(fraud)] == [2325, 675]  # £23.25 then the £6.75 left
    fraud.refresh_from_db()
    assert fraud.status == Debt.Status.PAID_IN_FULL and fraud.balance_pence == 0
    assert {a for _, a, _ in ledger(small_award)} == {990}


def test_paying_in_full_closes_the_debt_and_sends_hbpif_once(loaded_debt):
    debt = loaded_debt(balance="20.00")
    deduction_run(week_start=week(0), now=NOW)
    deduction_run(week_start=week(1), now=NOW)
    deduction_run(week_start=week(2), now=NOW)
    debt.refresh_from_db()
    assert debt.status == Debt.Status.PAID_IN_FULL
    assert [a for _, a, _ in ledger(debt)] == [1395, 605]
    assert Notice.objects.filter(case=debt.case, code="HBPIF").count() == 1
    assert Event.objects.filter(case=debt.case, kind="debt.paid_in_full").count() == 1


def test_a_granted_hardship_application_lowers_the_rate_from_its_date_and_sends_lahsag(loaded_debt, porth_officer):
    debt = loaded_debt(balance="500.00")
    application = hardship_record(debt=debt, received_on=dt.date(2025, 6, 20), forwarded_by_la=True,
                                  details="Rent arrears", actor=porth_officer, now=NOW)
    with pytest.raises(ApplicationError):
        hardship_decide(application=application, grant=True, reasons="", actor=porth_officer, now=NOW)
    hardship_decide(application=application, grant=True, reasons="Essential outgoings exceed income",
                    new_weekly_pence=500, effective_from=week(1), actor=porth_officer, now=NOW)
    for n in range(3):
        deduction_run(week_start=week(n), now=NOW)
    assert [a for _, a, _ in ledger(debt)] == [1395, 500, 500]
    assert Notice.objects.get(case=debt.case, code="LAHSAG").context["weekly_rate"] == "£5.00"


def test_suspension_for_one_debt_and_in_bulk_then_resumed(loaded_debt, porth_officer, la):
    one, other = loaded_debt(), loaded_debt(benefit="PC")
    suspension = suspension_create(scope=SuspensionScope(debt=one), starts=week(0), ends=None,
                                   reason="Customer disputes the overpayment", actor=porth_officer, now=NOW)
    suspension_create(scope=SuspensionScope(benefit_code="PC"), starts=week(1), ends=week(1) + dt.timedelta(days=6),
                      reason="Pension Credit payments paused", actor=porth_officer, now=NOW)
    deduction_run(week_start=week(0), now=NOW)
    deduction_run(week_start=week(1), now=NOW)
    suspension_lift(suspension=suspension, last_day=week(1) + dt.timedelta(days=6), actor=porth_officer, now=NOW)
    deduction_run(week_start=week(2), now=NOW)
    assert [w for _, _, w in ledger(one)] == [week(2)]
    assert [w for _, _, w in ledger(other)] == [week(0), week(2)]


def test_stopping_recovery_returns_the_rest_to_the_la_with_laret(loaded_debt, porth_officer):
    debt = loaded_debt(balance="100.00")
    deduction_run(week_start=week(0), now=NOW)
    debt_stop(debt=debt, reason=Debt.StopReason.DIED, actor=porth_officer, now=NOW,
              identified_on=dt.date(2025, 6, 20))
    debt.refresh_from_db()
    assert debt.status == Debt.Status.RETURNED and debt.balance_pence == 0
    # The day DM identified it is on the timeline: the SLA's REC-END clock starts there, not at the recording.
    stopped = Event.objects.get(case=debt.case, kind="debt.recovery_stopped")
    assert stopped.data["identified_on"] == "2025-06-20" and stopped.data["reason"] == Debt.StopReason.DIED
    assert ledger(debt)[-1] == ("RETURNED_TO_LA", 10000 - 1395, None)
    notice = Notice.objects.get(case=debt.case, code="LARET")
    assert notice.context["balance"] == "£86.05" and notice.context["reason"] == "The customer died"
    deduction_run(week_start=week(1), now=NOW)
    assert len(ledger(debt)) == 2  # nothing more is taken
    with pytest.raises(ApplicationError):
        debt_stop(debt=debt, reason=Debt.StopReason.DIED, actor=porth_officer, now=NOW)


def test_a_reversal_restores_the_balance_and_reopens_a_paid_debt(loaded_debt, porth_officer):
    debt = loaded_debt(balance="10.00")
    deduction_run(week_start=week(0), now=NOW)
    debt.refresh_from_db()
    assert debt.status == Debt.Status.PAID_IN_FULL
    entry = LedgerEntry.objects.get(debt=debt)
    deduction_reverse(entry=entry, reason="Taken from the wrong award", actor=porth_officer, now=NOW)
    debt.refresh_from_db()
    assert debt.status == Debt.Status.IN_RECOVERY and debt.balance_pence == 1000
    with pytest.raises(ApplicationError):
        deduction_reverse(entry=entry, reason="again", actor=porth_officer, now=NOW)


def test_sum_of_entries_is_always_original_minus_balance(loaded_debt, porth_officer):
    debts = [loaded_debt(balance=b) for b in ("15.00", "99.99", "1234.56")]
    for n in range(4):
        deduction_run(week_start=week(n), now=NOW)
    debt_stop(debt=debts[2], reason=Debt.StopReason.AWARD_ENDED, actor=porth_officer, now=NOW)
    for debt in debts:
        debt.refresh_from_db()
        total = LedgerEntry.objects.filter(debt=debt).aggregate(t=Sum("amount_pence"))["t"]
        assert total == debt.original_balance_pence - debt.balance_pence


def test_a_run_killed_part_way_then_rerun_gives_the_same_ledger(loaded_debt):
    debts = [loaded_debt(balance=f"{50 + n}.00") for n in range(6)]

    class Killed(Exception):
        pass

    def kill_after_first(hi):
        raise Killed

    with pytest.raises(Killed):
        deduction_run(week_start=week(0), now=NOW, chunk=2, after_chunk=kill_after_first)
    run = DeductionRun.objects.get(week_start=week(0))
    assert run.state == DeductionRun.State.RUNNING
    assert run.chunks.filter(done_at__isnull=False).count() == 1 and run.chunks.filter(done_at__isnull=True).exists()
    partial = LedgerEntry.objects.count()
    assert 0 < partial < len(debts)
    deduction_run(week_start=week(0), now=NOW, chunk=2)
    assert sorted(LedgerEntry.objects.values_list("debt_id", "amount_pence")) == sorted(
        (d.pk, 1395) for d in debts)


# --- What the database itself refuses ------------------------------------------------------------------------

def test_the_database_refuses_a_balance_below_zero(loaded_debt):
    debt = loaded_debt(balance="10.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Debt.objects.filter(pk=debt.pk).update(cleared_pence=1001)


def test_the_database_refuses_a_second_deduction_for_the_same_week(loaded_debt):
    debt = loaded_debt()
    deduction_run(week_start=week(0), now=NOW)
    posting = Posting.objects.create(created_at=NOW, kind="test")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(debt=debt, la_id=debt.la_id, kind="DEDUCTION", is_cash=True, amount_pence=1,
                                   effective_date=week(0), recorded_at=NOW, week_start=week(0), posting=posting)


def test_the_database_refuses_to_change_or_delete_an_entry(loaded_debt):
    debt = loaded_debt()
    deduction_run(week_start=week(0), now=NOW)
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        LedgerEntry.objects.filter(debt=debt).update(amount_pence=1)
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        LedgerEntry.objects.filter(debt=debt).delete()
    assert ledger(debt) == [("DEDUCTION", 1395, week(0))]


def test_the_database_refuses_reversing_an_entry_twice(loaded_debt):
    debt = loaded_debt()
    deduction_run(week_start=week(0), now=NOW)
    entry = LedgerEntry.objects.get(debt=debt)
    posting = Posting.objects.create(created_at=NOW, kind="test")
    LedgerEntry.objects.create(debt=debt, la_id=debt.la_id, kind="REVERSAL", is_cash=True, amount_pence=-1395,
                               effective_date=week(1), recorded_at=NOW, reverses=entry, posting=posting)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(debt=debt, la_id=debt.la_id, kind="REVERSAL", is_cash=True, amount_pence=-1395,
                                   effective_date=week(1), recorded_at=NOW, reverses=entry, posting=posting)


def _entry(debt, posting, **fields):
    values = {"debt_id": debt.pk, "la_id": debt.la_id, "kind": "REVERSAL", "is_cash": True, "amount_pence": -1,
              "effective_date": week(1), "recorded_at": NOW, "posting": posting}
    return LedgerEntry(**{**values, **fields})


def test_the_database_refuses_an_entry_naming_a_debt_posting_or_benefit_that_does_not_exist(loaded_debt):
    debt = loaded_debt()
    deduction_run(week_start=week(0), now=NOW)
    entry = LedgerEntry.objects.get(debt=debt)
    posting = Posting.objects.create(created_at=NOW, kind="test")
    wrong = [
        {"debt_id": debt.pk + 1000},  # no such debt
        {"posting_id": posting.pk + 1000, "posting": None},  # no such posting
        {"benefit_id": "NOPE"},  # no such benefit
        {"reverses_id": entry.pk + 1000},  # no such entry
    ]
    for fields in wrong:
        values = {"reverses": entry, **fields}
        if values.get("posting", posting) is None:
            values.pop("posting")
        with pytest.raises(IntegrityError), transaction.atomic():
            LedgerEntry.objects.bulk_create([_entry(debt, posting, **values)])
    # ... and an entry of another LA than its debt's (the remittance pays an entry to its LA).
    from liaison.partners.models import Organisation
    other = Organisation.objects.exclude(pk=debt.la_id).first()
    assert other is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.bulk_create([_entry(debt, posting, reverses=entry, la_id=other.pk)])
    assert ledger(debt) == [("DEDUCTION", 1395, week(0))]


def test_the_database_refuses_to_delete_a_debt_or_posting_that_entries_name(loaded_debt):
    debt = loaded_debt()
    deduction_run(week_start=week(0), now=NOW)
    entry = LedgerEntry.objects.get(debt=debt)
    # Below the ORM's own PROTECT check: straight to the database.
    for model, pk in ((Debt, debt.pk), (Posting, entry.posting_id)):
        with pytest.raises(IntegrityError), transaction.atomic():
            model.objects.filter(pk=pk)._raw_delete(using="default")
    assert Debt.objects.filter(pk=debt.pk).exists() and ledger(debt) == [("DEDUCTION", 1395, week(0))]
