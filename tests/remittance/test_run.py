"""The monthly remittance run: exactly once, idempotent, late entries and reversals in the next month (fixed dates).

Deductions take effect on the Sunday of their week: weeks 0 and 1 (16 and 23 June 2025) in June, weeks 2 to 5
(30 June to 21 July) in July, week 6 (28 July) on 3 August.
"""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.db.models import Sum

from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.recovery.ledger import deduction_reverse, deduction_run
from liaison.recovery.models import LedgerEntry
from liaison.remittance.models import Remittance, RemittanceItem
from liaison.remittance.selectors import schedule_lines
from liaison.remittance.services import remittance_run

from .conftest import at, week

pytestmark = pytest.mark.django_db
JUNE, JULY, AUGUST = dt.date(2025, 6, 1), dt.date(2025, 7, 1), dt.date(2025, 8, 1)
RATE = 1395  # the 2025/26 standard weekly rate


def deductions(*weeks, now="2025-08-20"):
    for n in weeks:
        deduction_run(week_start=week(n), now=at(now))


def snapshot():
    return (sorted(Remittance.objects.values_list("id", "la_id", "month", "total_pence", "item_count", "status")),
            sorted(RemittanceItem.objects.values_list("entry_id", "remittance_id", "debt_id", "amount_pence")))


def assert_exactly_once(last_month_end: dt.date):
    """Every cash entry effective by `last_month_end` is in exactly one item, and no later entry is in any."""
    due = LedgerEntry.objects.filter(is_cash=True, effective_date__lte=last_month_end)
    items = RemittanceItem.objects.all()
    assert sorted(items.values_list("entry_id", flat=True)) == sorted(due.values_list("id", flat=True))
    assert (items.aggregate(t=Sum("amount_pence"))["t"] or 0) == (due.aggregate(t=Sum("amount_pence"))["t"] or 0)
    for r in Remittance.objects.all():
        agg = r.items.aggregate(t=Sum("amount_pence"))
        assert r.total_pence == (agg["t"] or 0) and r.item_count == r.items.count()


def test_a_month_is_one_remittance_per_la_with_every_entry_of_the_month(debt_in, la, other_la):
    leeds = [debt_in(), debt_in()]
    cardiff = debt_in(other_la)
    deductions(0, 1, 2)
    run = remittance_run(month=JUNE, now=at("2025-07-02"))
    assert run.counts == {"remittances": 2, "items": 6, "total_pence": 6 * RATE}
    mine = Remittance.objects.get(la=la, month=JUNE)
    theirs = Remittance.objects.get(la=other_la, month=JUNE)
    assert (mine.item_count, mine.total_pence, mine.status) == (4, 4 * RATE, Remittance.Status.DRAFT)
    assert (theirs.item_count, theirs.total_pence) == (2, 2 * RATE)
    assert mine.due_by == dt.date(2025, 7, 31) and mine.run == run
    assert {i.debt_id for i in mine.items.all()} == {d.pk for d in leeds}
    assert {i.debt_id for i in theirs.items.all()} == {cardiff.pk}
    # The week that ends on 6 July is July's money.
    assert not RemittanceItem.objects.filter(entry__week_start=week(2)).exists()
    assert_exactly_once(dt.date(2025, 6, 30))
    # One event per remittance, on no case, for its LA.
    events = Event.objects.filter(kind="remittance.created").order_by("la__name")
    assert [(e.case_id, e.la_id) for e in events] == [(None, other_la.pk), (None, la.pk)]
    assert events.get(la=la).summary == ("Remittance for June 2025 drawn up: £55.80 due to Leeds by 31 July 2025, "
                                         "4 ledger entries")
    remittance_run(month=JULY, now=at("2025-08-01"))
    july = Remittance.objects.get(la=la, month=JULY)
    assert july.item_count == 2 and july.total_pence == 2 * RATE
    assert_exactly_once(dt.date(2025, 7, 31))


def test_schedule_lines_itemise_each_debtor(debt_in):
    first = debt_in(customer_name="Alice Smith")
    second = debt_in(customer_name="Bob Jones")
    deductions(0, 1)
    remittance_run(month=JUNE, now=at("2025-07-02"))
    lines = list(schedule_lines(Remittance.objects.get()))
    assert [(ln.debt_reference, ln.la_reference, ln.nino, ln.debtor_name, ln.kind_label, ln.amount_pence, ln.entries)
            for ln in lines] == sorted([
                (first.reference, first.la_reference, first.nino, "Alice Smith", "Deduction", 2 * RATE, 2),
                (second.reference, second.la_reference, second.nino, "Bob Jones", "Deduction", 2 * RATE, 2)],
                key=lambda t: t[1])


def test_rerunning_a_month_changes_nothing(debt_in, la):
    debt_in()
    deductions(0, 1)
    remittance_run(month=JUNE, now=at("2025-07-02"))
    before = snapshot()
    events = Event.objects.filter(kind__startswith="remittance.").count()
    again = remittance_run(month=JUNE, now=at("2025-07-02"))
    assert again.counts == {"remittances": 0, "items": 0, "total_pence": 0}
    # Even with new entries for June about: an existing (LA, month) is left alone; they wait for July.
    debt_in()
    deductions(0)
    later = remittance_run(month=JUNE, now=at("2025-07-20"))
    assert later.counts["remittances"] == 0
    assert snapshot() == before and Event.objects.filter(kind__startswith="remittance.").count() == events


def test_a_late_entry_for_a_month_already_run_is_paid_the_next_month(debt_in, la):
    debt = debt_in()
    deduction_run(week_start=week(0), now=at("2025-06-23"))
    remittance_run(month=JUNE, now=at("2025-07-01"))  # week 1 (effective 29 June) not posted yet
    june = Remittance.objects.get(month=JUNE)
    assert june.item_count == 1
    deduction_run(week_start=week(1), now=at("2025-07-03"))  # late: effective 29 June
    late = LedgerEntry.objects.get(debt=debt, week_start=week(1))
    assert late.effective_date == dt.date(2025, 6, 29)
    remittance_run(month=JULY, now=at("2025-08-01"))
    july = Remittance.objects.get(month=JULY)
    assert RemittanceItem.objects.get(entry=late).remittance == july
    assert Remittance.objects.get(pk=june.pk).item_count == 1  # June's stays as it was
    assert_exactly_once(dt.date(2025, 7, 31))


def test_entries_posted_out_of_order_are_each_remitted_once(debt_in):
    debt = debt_in()
    deduction_run(week_start=week(2), now=at("2025-06-20"))  # July's money posted first: the lower id
    deduction_run(week_start=week(0), now=at("2025-06-23"))
    remittance_run(month=JUNE, now=at("2025-07-01"))
    july_entry = LedgerEntry.objects.get(debt=debt, week_start=week(2))
    june_entry = LedgerEntry.objects.get(debt=debt, week_start=week(0))
    assert july_entry.pk < june_entry.pk and RemittanceItem.objects.get().entry == june_entry
    remittance_run(month=JULY, now=at("2025-08-01"))  # starts below an entry already remitted, and skips it
    assert RemittanceItem.objects.get(entry=july_entry).remittance.month == JULY
    assert_exactly_once(dt.date(2025, 7, 31))


def test_a_reversal_after_remittance_nets_next_months_payment_and_shows_on_its_schedule(debt_in, porth_officer):
    debt = debt_in(customer_name="Carol King")
    deductions(0, 1)
    remittance_run(month=JUNE, now=at("2025-07-02"))
    paid = LedgerEntry.objects.get(debt=debt, week_start=week(0))
    reversal = deduction_reverse(entry=paid, reason="Taken from the wrong award", actor=porth_officer,
                                 now=at("2025-07-10"))
    deductions(2, 3, 4, 5)
    remittance_run(month=JULY, now=at("2025-08-01"))
    july = Remittance.objects.get(month=JULY)
    assert july.total_pence == 4 * RATE - RATE and july.item_count == 5
    assert RemittanceItem.objects.get(entry=reversal).remittance == july
    lines = list(schedule_lines(july))
    assert [(ln.kind_label, ln.amount_pence, ln.is_reversal) for ln in lines] == [
        ("Deduction", 4 * RATE, False), ("Reversal", -RATE, True)]
    assert Remittance.objects.get(month=JUNE).total_pence == 2 * RATE  # what was paid stays paid
    assert_exactly_once(dt.date(2025, 7, 31))


def test_a_deduction_reversed_before_it_was_paid_nets_to_nothing_in_the_same_payment(debt_in, porth_officer):
    debt = debt_in()
    deductions(0)
    deduction_reverse(entry=LedgerEntry.objects.get(debt=debt), reason="error", actor=porth_officer,
                      now=at("2025-06-25"))
    remittance_run(month=JUNE, now=at("2025-07-01"))
    june = Remittance.objects.get()
    assert (june.total_pence, june.item_count) == (0, 2)
    assert [ln.amount_pence for ln in schedule_lines(june)] == [RATE, -RATE]


def test_when_reversals_exceed_deductions_the_la_owes_dm(debt_in, porth_officer, la):
    debt = debt_in(balance="13.95")  # paid in full by one week
    deductions(0)
    remittance_run(month=JUNE, now=at("2025-07-01"))
    deduction_reverse(entry=LedgerEntry.objects.get(debt=debt), reason="Customer's award was wrong",
                      actor=porth_officer, now=at("2025-07-15"))
    out = StringIO()
    call_command("run_remittance", "--month", "2025-07", stdout=out)
    july = Remittance.objects.get(month=JULY)
    assert july.total_pence == -RATE and july.owes_dm and july.owed_to_dm_pence == RATE
    assert "Leeds: 1 items, -£13.95 (the LA owes DM)" in out.getvalue()
    assert Event.objects.get(kind="remittance.created", la=la, data__month="2025-07-01").summary.startswith(
        "Remittance for July 2025 drawn up: Leeds owes DM £13.95 by 31 August 2025")


def test_nothing_is_drawn_up_for_an_la_with_nothing_recovered_nor_for_a_month_not_yet_ended(debt_in, other_la):
    debt_in()
    with pytest.raises(ApplicationError, match="June 2025 has not ended yet"):
        remittance_run(month=JUNE, now=at("2025-06-30", 23))
    deductions(0)
    remittance_run(month=JUNE, now=at("2025-07-01", 0))  # 00:00 on 1 July in London
    assert not Remittance.objects.filter(la=other_la).exists()
    remittance_run(month=AUGUST, now=at("2025-09-01"))  # everything was remitted already
    assert Remittance.objects.count() == 1


def test_running_a_later_month_first_leaves_nothing_for_the_earlier_one(debt_in):
    debt_in()
    deductions(0, 1, 2)
    remittance_run(month=JULY, now=at("2025-08-01"))
    remittance_run(month=JUNE, now=at("2025-08-01"))
    assert list(Remittance.objects.values_list("month", "item_count")) == [(JULY, 3)]
    assert_exactly_once(dt.date(2025, 7, 31))


def test_the_command_prints_a_line_per_la_and_refuses_a_bad_month(debt_in, other_la):
    debt_in()
    debt_in(other_la)
    deductions(0, 1)
    out = StringIO()
    call_command("run_remittance", "--month", "2025-06", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["Cardiff: 2 items, £27.90", "Leeds: 2 items, £27.90"]
    assert lines[2].startswith("June 2025: 2 remittances drawn up, 4 items, £55.80 in all")
    with pytest.raises(CommandError, match="must be a month like 2025-06"):
        call_command("run_remittance", "--month", "June")


def test_the_task_runs_the_month_it_is_given(debt_in):
    from liaison.remittance.tasks import run_monthly_remittance

    debt_in()
    deductions(0)
    result = run_monthly_remittance.enqueue("2025-06-01").return_value  # the test backend runs it at once
    assert result == {"month": "2025-06-01", "counts": {"remittances": 1, "items": 1, "total_pence": RATE}}


# --- What the database itself refuses ------------------------------------------------------------------------

def test_the_database_refuses_a_second_item_for_the_same_entry(debt_in, la):
    debt_in()
    deductions(0, 2)
    remittance_run(month=JUNE, now=at("2025-07-01"))
    remittance_run(month=JULY, now=at("2025-08-01"))
    item = RemittanceItem.objects.filter(remittance__month=JUNE).get()
    july = Remittance.objects.get(month=JULY)
    with pytest.raises(IntegrityError), transaction.atomic():
        RemittanceItem.objects.create(remittance=july, entry_id=item.entry_id, debt_id=item.debt_id,
                                      kind=item.kind, amount_pence=item.amount_pence)


def test_the_database_refuses_to_change_or_delete_an_item_or_delete_a_remittance(debt_in):
    debt_in()
    deductions(0)
    remittance_run(month=JUNE, now=at("2025-07-01"))
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        RemittanceItem.objects.update(amount_pence=1)
    with pytest.raises(Exception, match="immutable"), transaction.atomic():
        RemittanceItem.objects.all()._raw_delete(RemittanceItem.objects.db)
    with pytest.raises(Exception, match="never deleted"), transaction.atomic():
        Remittance.objects.all()._raw_delete(Remittance.objects.db)
    assert RemittanceItem.objects.get().amount_pence == RATE and Remittance.objects.count() == 1


def test_the_database_refuses_a_second_remittance_for_an_la_and_month_and_a_paid_one_without_a_reference(
        debt_in, la):
    debt_in()
    deductions(0)
    run = remittance_run(month=JUNE, now=at("2025-07-01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Remittance.objects.create(la=la, month=JUNE, due_by=dt.date(2025, 7, 31), run=run, created_at=at("2025-07-01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Remittance.objects.filter(month=JUNE).update(status="PAID", paid_on=dt.date(2025, 7, 2),
                                                     paid_at=at("2025-07-02"))


def test_the_database_refuses_an_item_of_nothing(debt_in):
    debt = debt_in()
    deductions(0, 2)
    run = remittance_run(month=JUNE, now=at("2025-07-01"))
    july_entry = LedgerEntry.objects.get(debt=debt, week_start=week(2))  # not remitted yet
    with pytest.raises(IntegrityError), transaction.atomic():
        RemittanceItem.objects.create(remittance=run.remittances.get(), entry=july_entry, debt=debt,
                                      kind="DEDUCTION", amount_pence=0)
