"""The monthly remittance run and recording its payment.

Set-based: a run is a handful of SQL statements however many entries and LAs there are (one SELECT of the LAs with
money due, one INSERT of their remittances, one INSERT … SELECT of the items, one UPDATE of the totals, one INSERT
of an event per remittance). Never a query per entry or per debt.

Exactly once: an item's entry is unique (the database refuses a second item for it), and a run only takes cash
entries that no item holds yet. Whatever a run leaves out (an entry posted after its month was run: a late
deduction, or a reversal of money already paid) is taken by the next month's run, which takes everything
effective up to the end of its month that has not been remitted.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from liaison.core import timeline
from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.core.money import format_pence
from liaison.partners.models import Organisation
from liaison.remittance import events
from liaison.remittance.models import Remittance, RemittanceRun, month_end, next_month

# Which LAs have cash entries due (effective by the end of the month) that no item holds, and where each LA's
# start in the ledger: the lowest such id. Every entry below the lowest of them is remitted already, so the
# statements below read only the ledger's tail. (Worked out afresh by each run, never stored: an entry with a lower
# id committed later, by a transaction that was still open, is simply left for the next run, which finds it.)
# A plain SELECT, so PostgreSQL may read the ledger with parallel workers.
_DUE_SQL = """
SELECT e.la_id, MIN(e.id) FROM recovery_ledgerentry e
WHERE e.is_cash = %(true)s AND e.effective_date <= %(month_end)s
  AND NOT EXISTS (SELECT 1 FROM remittance_remittanceitem i WHERE i.entry_id = e.id)
GROUP BY e.la_id
"""

# The items: every cash entry due from `first` on, for the remittances this run drew up (never for an older one, so
# a remittance once drawn up never changes). Entries already remitted
# are skipped by the item's primary key (ON CONFLICT), never by NOT EXISTS: an anti-join on the table being
# inserted into lets PostgreSQL, when it believes the table empty (the first run), re-scan every row inserted so
# far for each new one, which is quadratic (hours over millions of entries). And as ON CONFLICT makes every insert
# dearer (by half again), it is only added when an entry at or after `first` has been remitted (entries posted out
# of order); usually none has, and the primary key would refuse a duplicate anyway.
_ITEMS_SQL = """
INSERT INTO remittance_remittanceitem (remittance_id, entry_id, debt_id, kind, amount_pence)
SELECT r.id, e.id, e.debt_id, e.kind, e.amount_pence
FROM recovery_ledgerentry e
JOIN remittance_remittance r ON r.la_id = e.la_id AND r.run_id = %(run)s
WHERE e.id >= %(first)s AND e.is_cash = %(true)s AND e.effective_date <= %(month_end)s
"""
_SKIP_REMITTED = "ON CONFLICT (entry_id) DO NOTHING"
_LAST_REMITTED_SQL = "SELECT MAX(entry_id) FROM remittance_remittanceitem"

# Per remittance, through the (remittance, entry) index: never a scan of every item ever written.
_TOTALS_SQL = """
UPDATE remittance_remittance
SET (total_pence, item_count) = (SELECT COALESCE(SUM(i.amount_pence), 0), COUNT(*) FROM remittance_remittanceitem i
                                 WHERE i.remittance_id = remittance_remittance.id)
WHERE run_id = %(run)s
"""


def _serialise_runs() -> None:
    """One remittance run at a time, whatever the month: two at once could each take an LA's entries.

    PostgreSQL: a transaction-level advisory lock. SQLite serialises writers already (IMMEDIATE transactions).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('liaison.remittance_run'))")


def _refresh_statistics(cursor) -> None:
    """PostgreSQL: without fresh statistics the planner takes the run's new remittances for one row and reads the
    ledger LA by LA through an index (minutes over millions of entries) instead of hashing them (seconds). The
    table is small (a row per LA a month), so this costs milliseconds; it may run inside the transaction."""
    if connection.vendor == "postgresql":
        cursor.execute("ANALYZE remittance_remittance")


def _first_of_month(month: dt.date) -> dt.date:
    return month.replace(day=1)


def remittance_run(*, month: dt.date, now: dt.datetime) -> RemittanceRun:
    """Draw up month M's remittance for every LA with cash entries effective by the end of M that no remittance
    holds yet, and no remittance for M already. Idempotent: re-running M leaves every existing remittance as it
    is. Refuses a month that has not ended (on `now`'s date in London).
    """
    month = _first_of_month(month)
    last_day = month_end(month)
    if timezone.localdate(now) <= last_day:
        raise ApplicationError(f"{month:%B %Y} has not ended yet: its remittance is drawn up from "
                               f"{last_day + dt.timedelta(days=1):%d %B %Y}.")
    due_by = month_end(next_month(month))
    with transaction.atomic():
        _serialise_runs()
        run = RemittanceRun.objects.create(month=month, started_at=now)
        params = {"month": month, "month_end": last_day, "due_by": due_by, "run": run.pk, "now": now, "true": True}
        with connection.cursor() as cursor:
            cursor.execute(_DUE_SQL, params)
            due = dict(cursor.fetchall())
            # An LA that has its remittance for this month already is left alone (re-running a month changes
            # nothing): what it has due now waits for the next month.
            las = set(due) - set(Remittance.objects.filter(month=month, la_id__in=list(due))
                                 .values_list("la_id", flat=True))
            if las:
                Remittance.objects.bulk_create([
                    Remittance(la_id=la_id, month=month, due_by=due_by, run=run, created_at=now)
                    for la_id in sorted(las)], batch_size=1000)
                _refresh_statistics(cursor)
                params["first"] = min(due[la_id] for la_id in las)
                cursor.execute(_LAST_REMITTED_SQL)
                last = cursor.fetchone()[0]  # runs are serialised: no other writer of items meanwhile
                cursor.execute(_ITEMS_SQL + (_SKIP_REMITTED if last is not None and last >= params["first"] else ""),
                               params)
                cursor.execute(_TOTALS_SQL, params)
        remittances = list(Remittance.objects.filter(run=run).select_related("la").order_by("la__name"))
        fcg_id = Organisation.objects.filter(unit=Organisation.Unit.FCG).values_list("id", flat=True).first()
        Event.objects.bulk_create([
            timeline.build(case_id=None, la_id=r.la_id, kind=events.CREATED, occurred_at=now, actor_id=None,
                           actor_organisation_id=fcg_id, summary=_created_summary(r),
                           data={"remittance_id": r.pk, "month": month.isoformat(), "due_by": due_by.isoformat(),
                                 "total_pence": r.total_pence, "item_count": r.item_count})
            for r in remittances], batch_size=2000)
        run.counts = {"remittances": len(remittances), "items": sum(r.item_count for r in remittances),
                      "total_pence": sum(r.total_pence for r in remittances)}
        run.save(update_fields=["counts"])
        ids = [r.pk for r in remittances]
        transaction.on_commit(lambda: _schedule_pdfs(ids))
    return run


def _schedule_pdfs(remittance_ids: list[int]) -> None:
    from liaison.remittance.tasks import render_schedule_pdf

    for pk in remittance_ids:
        render_schedule_pdf.enqueue(pk)


def _created_summary(r: Remittance) -> str:
    amount = (f"{r.la.name} owes DM {format_pence(-r.total_pence)}" if r.owes_dm
              else f"{format_pence(r.total_pence)} due to {r.la.name}")
    return (f"Remittance for {r.month:%B %Y} drawn up: {amount} by {r.due_by:%d %B %Y}, "
            f"{r.item_count} ledger entries")


def _check_transition(remittance: Remittance, to: str) -> None:
    if to not in Remittance.TRANSITIONS[Remittance.Status(remittance.status)]:
        if remittance.status == Remittance.Status.PAID:
            raise ApplicationError(f"This remittance was already marked as paid on {remittance.paid_on:%d %B %Y} "
                                   f"(reference {remittance.payment_reference}).", status=409)
        raise ApplicationError("This remittance cannot be marked as paid.", status=409)


def remittance_mark_paid(*, remittance: Remittance, payment_reference: str, paid_on: dt.date | None, actor,
                         now: dt.datetime | None = None) -> Remittance:
    """FCG records that the month's payment was made (for a negative total: settled by the LA)."""
    now = now or timezone.now()
    if actor is None or not actor.has_perm("remittance.mark_paid"):
        raise ApplicationError("Only FCG finance officers can mark a remittance as paid.", status=403)
    _check_transition(remittance, Remittance.Status.PAID)  # again under the lock, below
    reference = (payment_reference or "").strip()
    faults = {}
    if not reference:
        faults["payment_reference"] = "Enter the payment reference"
    elif len(reference) > 100:
        faults["payment_reference"] = "The payment reference must be 100 characters or fewer"
    if paid_on is None:
        faults["paid_on"] = "Enter the date the payment was made"
    elif paid_on > timezone.localdate(now):
        faults["paid_on"] = "The date the payment was made must be today or in the past"
    elif paid_on < timezone.localdate(remittance.created_at):
        faults["paid_on"] = (f"The date the payment was made must be on or after "
                             f"{timezone.localdate(remittance.created_at):%d %B %Y}, when the remittance was drawn up")
    if faults:
        raise ApplicationError("The payment could not be recorded.", extra={"faults": faults})
    with transaction.atomic():
        remittance = Remittance.objects.select_for_update().select_related("la").get(pk=remittance.pk)
        _check_transition(remittance, Remittance.Status.PAID)
        remittance.status = Remittance.Status.PAID
        remittance.paid_on, remittance.paid_at, remittance.paid_by = paid_on, now, actor
        remittance.payment_reference = reference
        old_pdf = remittance.schedule_pdf.name
        remittance.schedule_pdf = ""  # it said "not paid yet": drawn again when next downloaded
        remittance.save(update_fields=["status", "paid_on", "paid_at", "paid_by", "payment_reference",
                                       "schedule_pdf"])
        on_time = paid_on <= remittance.due_by
        timeline.record(case=None, la=remittance.la, kind=events.PAID, occurred_at=now, actor=actor,
                        summary=f"Remittance for {remittance.month:%B %Y} ({format_pence(remittance.total_pence)}) "
                                f"paid on {paid_on:%d %B %Y}, reference {reference}"
                                + ("" if on_time else f": after it was due ({remittance.due_by:%d %B %Y})"),
                        data={"remittance_id": remittance.pk, "month": remittance.month.isoformat(),
                              "due_by": remittance.due_by.isoformat(), "paid_on": paid_on.isoformat(),
                              "on_time": on_time, "total_pence": remittance.total_pence,
                              "payment_reference": reference})
        if old_pdf:
            transaction.on_commit(lambda: default_storage.delete(old_pdf))
        transaction.on_commit(lambda: _schedule_pdfs([remittance.pk]))
    return remittance
