"""The debt ledger: weekly deductions, reversals, the end of recovery, suspensions and hardship.

Money is integer pence. Entries are immutable (the database refuses changes); a correction is a reversing entry.
A debt's balance is its original balance less the sum of its entries; `Debt.cleared_pence` keeps that sum in the
same transaction as every posting so the database can refuse a balance below zero.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from liaison.core import timeline
from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.core.money import format_pence
from liaison.notices.services import NoticeRequest, notices_issue
from liaison.partners.models import Organisation
from liaison.recovery import events
from liaison.recovery.models import (
    Debt, DebtRate, DeductionRun, DeductionRunChunk, HardshipApplication, LedgerEntry, Posting, RecoveryRate, Suspension,
)

RUN_CHUNK = 50_000


def week_of(day: dt.date) -> dt.date:
    """The Monday of the benefit week that contains `day`."""
    return day - dt.timedelta(days=day.weekday())


def balance_as_of(debt: Debt, day: dt.date) -> int:
    """The balance on `day`, from the entries that had taken effect by then."""
    cleared = debt.entries.filter(effective_date__lte=day).aggregate(total=Sum("amount_pence"))["total"] or 0
    return debt.original_balance_pence - cleared


# --- The weekly deduction run ------------------------------------------------------------------------------

def _least(*exprs: str) -> str:
    # PostgreSQL spells the scalar minimum LEAST; SQLite spells it MIN.
    return ("LEAST" if connection.vendor == "postgresql" else "MIN") + "(" + ", ".join(exprs) + ")"


def _deduction_sql(*, skip_posted: bool = False) -> str:
    # One statement per chunk of debts. Every join reaches a table through an index on the chunk's own keys (the
    # debtor's awards by NINO, the debt's hardship rates and suspensions by debt), so a poor row estimate can at
    # worst make the planner probe an index per debt, never rescan a derived table per debt. "The largest current
    # prescribed award" and "the latest hardship rate in force" are each "no other one beats it" (NOT EXISTS):
    # the same choice as ordering and taking the first, for each debt. Current suspensions are split: the many for
    # one debt are found by the debt; only the few bulk ones (an LA, a benefit, everything) are tried on every debt.
    # Only the run posts deductions, a chunk's in one transaction with its "done" mark, and a done chunk is never
    # posted again: so no debt of an undone chunk has this week's deduction, and the statement does not look. The
    # unique index (debt, week, kind) still refuses a second one; should it ever do so (a deduction posted some
    # other way), the chunk is posted again with `skip_posted`, which looks (in the chunk's range of that index:
    # ON CONFLICT would make a speculative insertion per entry, a third of the chunk's time).
    current_award = """a2.start <= %(week_end)s AND (a2."end" IS NULL OR a2."end" >= %(week_start)s)"""
    current_suspension = "s.starts <= %(week_end)s AND (s.ends IS NULL OR s.ends >= %(week_start)s)"
    posted_check = """AND NOT EXISTS (
            SELECT 1 FROM recovery_ledgerentry x
            WHERE x.debt_id = d.id AND x.debt_id > %(lo)s AND x.debt_id <= %(hi)s AND x.week_start = %(week_start)s
              AND x.kind = 'DEDUCTION')"""
    return f"""
    INSERT INTO recovery_ledgerentry (debt_id, la_id, kind, is_cash, amount_pence, effective_date, recorded_at,
                                      week_start, benefit_id, posting_id, note, reverses_id)
    SELECT id, la_id, 'DEDUCTION', %(true)s, {_least('rate', 'balance', 'headroom')}, %(pay_day)s, %(now)s,
           %(week_start)s, benefit_id, %(posting)s, '', NULL
    FROM (
        SELECT d.id, d.la_id, d.original_balance_pence - d.cleared_pence AS balance, a.benefit_id,
               a.weekly_amount_pence - b.minimum_remaining_pence AS headroom,
               COALESCE(r.weekly_pence, CASE WHEN d.classification = 'FRAUD' THEN %(fraud)s ELSE %(standard)s END)
                 AS rate
        FROM recovery_debt d
        JOIN benefits_award a ON a.nino = d.nino
        JOIN benefits_benefit b ON b.code = a.benefit_id
        LEFT JOIN recovery_debtrate r ON r.debt_id = d.id AND r.effective_from <= %(week_start)s
        WHERE d.id > %(lo)s AND d.id <= %(hi)s AND d.status = 'IN_RECOVERY'
          AND d.recovery_start_date <= %(week_end)s AND d.cleared_pence < d.original_balance_pence
          AND b.prescribed AND {current_award.replace("a2.", "a.")}
          AND NOT EXISTS (
            SELECT 1 FROM benefits_award a2 JOIN benefits_benefit b2 ON b2.code = a2.benefit_id
            WHERE a2.nino = a.nino AND b2.prescribed AND {current_award}
              AND (a2.weekly_amount_pence > a.weekly_amount_pence
                   OR (a2.weekly_amount_pence = a.weekly_amount_pence AND a2.id < a.id)))
          AND NOT EXISTS (
            SELECT 1 FROM recovery_debtrate r2
            WHERE r2.debt_id = r.debt_id AND r2.effective_from <= %(week_start)s
              AND (r2.effective_from > r.effective_from OR (r2.effective_from = r.effective_from AND r2.id > r.id)))
          AND NOT EXISTS (
            SELECT 1 FROM recovery_suspension s
            WHERE s.debt_id = d.id AND {current_suspension}
              AND (s.la_id IS NULL OR s.la_id = d.la_id) AND (s.benefit_id IS NULL OR s.benefit_id = a.benefit_id))
          AND NOT EXISTS (
            SELECT 1 FROM recovery_suspension s
            WHERE s.debt_id IS NULL AND {current_suspension}
              AND (s.la_id IS NULL OR s.la_id = d.la_id) AND (s.benefit_id IS NULL OR s.benefit_id = a.benefit_id))
          {posted_check if skip_posted else ""}
    ) due
    WHERE {_least('rate', 'balance', 'headroom')} > 0
    """


# (A chunk's entries are found through the debts' index, the chunk being a range of debts: the ledger has no index
# on postings, which every entry would have to be written into.)
_APPLY_SQL = """
    UPDATE recovery_debt SET cleared_pence = recovery_debt.cleared_pence + t.total
    FROM (SELECT debt_id, SUM(amount_pence) AS total FROM recovery_ledgerentry
          WHERE debt_id > %(lo)s AND debt_id <= %(hi)s AND posting_id = %(posting)s GROUP BY debt_id) AS t
    WHERE recovery_debt.id = t.debt_id
"""


def _room_for_a_chunk(cursor) -> None:
    """PostgreSQL, for the chunk's transaction only (SET LOCAL): memory to sort and hash a chunk without spilling to
    disk (the default work_mem, 4 MB, spills a 50,000-debt chunk), and the cost of a random read as it is when the
    tables are in memory or on SSD (the default, 4, is for spinning disks and makes the planner scan the whole
    benefit register for every chunk instead of looking up the chunk's debtors by NINO). SQLite: nothing."""
    if connection.vendor == "postgresql":
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SET LOCAL random_page_cost = 1.1")


def _rates_for(week_start: dt.date) -> RecoveryRate:
    rate = RecoveryRate.objects.filter(effective_from__lte=week_start).order_by("-effective_from").first()
    if rate is None:
        raise ApplicationError(f"No recovery rate is in force in the week of {week_start:%d %B %Y}: load the rates.")
    return rate


def deduction_run(*, week_start: dt.date, now: dt.datetime | None = None, chunk: int = RUN_CHUNK,
                  after_chunk=None, workers: int | None = None) -> DeductionRun:
    """Post one week's deductions for every debt in recovery whose debtor has a current prescribed award.

    Set-based (one statement per chunk of debts, never a query per debt), idempotent (a week's deduction for a debt
    is posted once: a unique index), safe with any number of workers at once, and resumable: the run's debts are
    split into chunks (`DeductionRunChunk`), each posted and marked done in one transaction by whichever worker
    claims it (row locks, SKIP LOCKED), so a run killed part way keeps what it finished and a re-run carries on.
    Debts paid in full by the run are closed and their LAs sent HBPIF.

    `workers`: how many chunks are posted at once, each in its own database session (PostgreSQL, outside any
    transaction of the caller's, which other sessions could not see); default `LIAISON_DEDUCTION_WORKERS` (2).
    """
    if week_start.weekday() != 0:
        raise ApplicationError("A deduction run is for a benefit week: give its Monday.")
    now = now or timezone.now()
    rates = _rates_for(week_start)
    run, _ = DeductionRun.objects.get_or_create(week_start=week_start, defaults={"started_at": now})
    if run.state == DeductionRun.State.DONE:
        return run
    _plan_chunks(run, chunk)
    params: dict[str, Any] = {
        "week_start": week_start, "week_end": week_start + dt.timedelta(days=6),
        "pay_day": week_start + dt.timedelta(days=6), "now": now, "true": True,
        "standard": rates.standard_weekly_pence, "fraud": rates.fraud_weekly_pence,
    }
    if workers is None:
        workers = getattr(settings, "LIAISON_DEDUCTION_WORKERS", 2)
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        workers = 1
    if workers <= 1:
        _work_chunks(run, params, now=now, after_chunk=after_chunk)
    else:
        _in_parallel(workers, lambda: _work_chunks(run, params, now=now, after_chunk=after_chunk))
    with transaction.atomic():
        run = DeductionRun.objects.select_for_update().get(pk=run.pk)
        chunks = run.chunks.aggregate(left=Count("pk", filter=Q(done_at__isnull=True)), posted=Sum("posted"),
                                      paid_in_full=Sum("paid_in_full"))
        if run.state != DeductionRun.State.DONE and not chunks["left"]:
            run.state, run.finished_at = DeductionRun.State.DONE, timezone.now()
            run.counts = {"posted": chunks["posted"] or 0, "paid_in_full": chunks["paid_in_full"] or 0}
            run.save(update_fields=["state", "finished_at", "counts"])
    return run


def _plan_chunks(run: DeductionRun, chunk: int) -> None:
    """Cover every debt that exists now with chunks (a resumed run also takes debts opened since it started)."""
    with transaction.atomic():
        DeductionRun.objects.select_for_update().get(pk=run.pk)  # one planner at a time
        planned = run.chunks.order_by("-hi").values_list("hi", flat=True).first()
        top = Debt.objects.order_by("-id").values_list("id", flat=True).first() or 0
        lo = planned if planned is not None else (Debt.objects.order_by("id").values_list("id", flat=True).first()
                                                  or 1) - 1
        DeductionRunChunk.objects.bulk_create(
            [DeductionRunChunk(run=run, lo=at, hi=min(at + chunk, top)) for at in range(lo, top, chunk)])


def _in_parallel(workers: int, work) -> None:
    """Run `work` in `workers` threads, each with its own database connection; re-raise the first failure."""
    errors: list[BaseException] = []

    def worker():
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"deduction-run-{n}") for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def _work_chunks(run: DeductionRun, params: dict[str, Any], *, now: dt.datetime, after_chunk) -> None:
    """Claim and post chunks until none is left: first those no other worker holds; then wait for any still held
    (if its worker died, its transaction rolled back and the chunk is ours)."""
    while True:
        with transaction.atomic():
            undone = DeductionRunChunk.objects.filter(run=run, done_at__isnull=True).order_by("lo")
            claimed = undone.select_for_update(skip_locked=True).first() or undone.select_for_update().first()
            if claimed is None:
                return
            if claimed.done_at is not None:  # (a blocking claim re-reads the row: done while we waited)
                continue
            posting = Posting.objects.create(created_at=now, kind="deduction-run", run=run)
            posted, cleared_ids = _post_chunk({**params, "lo": claimed.lo, "hi": claimed.hi, "posting": posting.pk})
            closed = _close_paid_in_full(now=now, debt_ids=cleared_ids)
            DeductionRunChunk.objects.filter(pk=claimed.pk).update(done_at=now, posted=posted, paid_in_full=closed)
        if after_chunk:
            after_chunk(claimed.hi)


def _post_chunk(params: dict[str, Any]) -> tuple[int, list[int]]:
    """Write a chunk's deductions (its range and posting in `params`) and add them to their debts' cleared_pence,
    in the caller's transaction. Returns how many entries were posted and the debts they cleared to nothing.

    First without looking for deductions already posted this week (there are none: see _deduction_sql); if the
    unique index finds one, that attempt is rolled back (a savepoint) and the chunk posted again, looking."""
    try:
        with transaction.atomic():
            return _post_chunk_sql(_deduction_sql(), params)
    except IntegrityError:
        pass  # (anything else the database refuses, it refuses again below, and that error goes to the caller)
    return _post_chunk_sql(_deduction_sql(skip_posted=True), params)


def _post_chunk_sql(sql: str, params: dict[str, Any]) -> tuple[int, list[int]]:
    """PostgreSQL: one statement (the INSERT's rows feed the UPDATE straight away, so the entries just written are
    not looked up again; a run posts at most one entry per debt, so each is its debt's whole change). Elsewhere: the
    INSERT, then the UPDATE from the posting's entries (_APPLY_SQL)."""
    with connection.cursor() as cursor:
        _room_for_a_chunk(cursor)
        if connection.vendor == "postgresql":
            cursor.execute(f"""
                WITH posted AS ({sql} RETURNING debt_id, amount_pence),
                applied AS (
                    UPDATE recovery_debt SET cleared_pence = recovery_debt.cleared_pence + posted.amount_pence
                    FROM posted WHERE recovery_debt.id = posted.debt_id
                    RETURNING recovery_debt.id, recovery_debt.cleared_pence = recovery_debt.original_balance_pence
                      AS cleared)
                SELECT (SELECT COUNT(*) FROM posted), ARRAY(SELECT id FROM applied WHERE cleared)""", params)
            posted, cleared = cursor.fetchone()
            return posted, list(cleared)
        cursor.execute(sql, params)
        cursor.execute(_APPLY_SQL, params)
    # (sqlite3 reports no rowcount for a statement that starts WITH: count what the posting wrote)
    entries = LedgerEntry.objects.filter(debt_id__gt=params["lo"], debt_id__lte=params["hi"],
                                         posting_id=params["posting"])
    cleared = list(Debt.objects.filter(Exists(entries.filter(debt=OuterRef("pk"))),
                                       cleared_pence=F("original_balance_pence")).values_list("pk", flat=True))
    return entries.count(), cleared


def _close_paid_in_full(*, now: dt.datetime, debt_ids: list[int]) -> int:
    """Close the debts a chunk cleared to nothing (`debt_ids`), and tell each LA (HBPIF)."""
    if not debt_ids:
        return 0
    debts = list(Debt.objects.filter(pk__in=debt_ids, status=Debt.Status.IN_RECOVERY,
                                     cleared_pence=F("original_balance_pence"))
                 .select_related("la", "owning_site").order_by("pk"))
    if not debts:
        return 0
    Debt.objects.filter(pk__in=[d.pk for d in debts]).update(status=Debt.Status.PAID_IN_FULL, closed_at=now)
    _tell_la(debts, code="HBPIF", kind=events.PAID_IN_FULL, now=now, actor=None,
             summary=lambda d: f"Paid in full: {format_pence(d.original_balance_pence)} recovered",
             extra=lambda d: {})
    return len(debts)


# --- Notices from recovery ---------------------------------------------------------------------------------

def notice_context(debt: Debt, now: dt.datetime, **extra) -> dict[str, Any]:
    la, site = debt.la, debt.owning_site
    return {
        "date": f"{timezone.localdate(now):%d %B %Y}", "la_name": la.name, "la_code": la.code,
        "la_address_lines": la.address_lines, "from_unit": site.name, "from_address_lines": site.address_lines,
        "from_postcode": site.postcode, "customer_name": debt.debtor_name, "nino": debt.nino,
        "la_reference": debt.la_reference, "case_reference": f"C{debt.case_id:07d}",
        "benefit": {"HB": "Housing Benefit", "CTB": "Council Tax Benefit"}.get(debt.benefit_type, ""),
        "is_civil_penalty": debt.is_civil_penalty, "balance": format_pence(debt.original_balance_pence),
        "contact_name": site.name, "contact_email": site.intake_email, **extra,
    }


def _tell_la(debts: list[Debt], *, code: str, kind, now, actor, summary, extra, data=None) -> None:
    """Issue notice `code` for each debt and record `kind` on its case's timeline (with `data(debt)`: the SLA
    measures REC-END from its `identified_on`, the day DM identified why recovery ended)."""
    actor_id = getattr(actor, "pk", None)
    requests, rows = [], []
    for d in debts:
        requests.append(NoticeRequest(code=code, case_id=d.case_id, la_id=d.la_id, to=d.la.intake_email,
                                      context=notice_context(d, now, **extra(d)), actor_id=actor_id,
                                      actor_organisation_id=d.owning_site_id))
        rows.append(timeline.build(case_id=d.case_id, la_id=d.la_id, kind=kind, occurred_at=now, actor_id=actor_id,
                                   actor_organisation_id=d.owning_site_id, summary=summary(d),
                                   data={"debt_id": d.pk, **(data(d) if data else {})}))
    Event.objects.bulk_create(rows, batch_size=2000)
    by_site: dict[int, list[NoticeRequest]] = {}
    for r, d in zip(requests, debts, strict=True):
        by_site.setdefault(d.owning_site_id, []).append(r)
    for site_id, group in by_site.items():
        notices_issue(requests=group, issued_by_id=site_id, issued_at=now)


# --- One debt's movements ----------------------------------------------------------------------------------

def _post(debt: Debt, entries: list[LedgerEntry], *, kind: str, now: dt.datetime) -> Posting:
    posting = Posting.objects.create(created_at=now, kind=kind)
    for entry in entries:
        entry.posting = posting
        entry.recorded_at = now
    LedgerEntry.objects.bulk_create(entries)
    Debt.objects.filter(pk=debt.pk).update(cleared_pence=F("cleared_pence") + sum(e.amount_pence for e in entries))
    return posting


def deduction_reverse(*, entry: LedgerEntry, reason: str, actor, now: dt.datetime | None = None) -> LedgerEntry:
    """Reverse a deduction (for example, taken in error): the money goes back on the balance. If it was already
    paid to the LA, the reversal is netted in the next month's payment."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ApplicationError("Give the reason for reversing the deduction.")
    with transaction.atomic():
        debt = Debt.objects.select_for_update().select_related("la", "owning_site").get(pk=entry.debt_id)
        entry = LedgerEntry.objects.get(pk=entry.pk)
        if entry.kind != LedgerEntry.Kind.DEDUCTION:
            raise ApplicationError("Only a deduction can be reversed.")
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise ApplicationError("This deduction has already been reversed.", status=409)
        reversal = LedgerEntry(debt=debt, la_id=debt.la_id, kind=LedgerEntry.Kind.REVERSAL, is_cash=True,
                               amount_pence=-entry.amount_pence, effective_date=timezone.localdate(now),
                               reverses=entry, benefit_id=entry.benefit_id, note=reason.strip()[:300])
        _post(debt, [reversal], kind="reversal", now=now)
        if debt.status == Debt.Status.PAID_IN_FULL:
            Debt.objects.filter(pk=debt.pk).update(status=Debt.Status.IN_RECOVERY, closed_at=None)
        timeline.record(case=debt.case, kind=events.DEDUCTION_REVERSED, occurred_at=now, actor=actor,
                        summary=f"Deduction of {format_pence(entry.amount_pence)} for the week of "
                                f"{entry.week_start:%d %B %Y} reversed: {reason.strip()}",
                        data={"debt_id": debt.pk, "entry_id": entry.pk, "reversal_id": reversal.pk})
    return reversal


def debt_stop(*, debt: Debt, reason: str, details: str = "", identified_on: dt.date | None = None, actor,
              now: dt.datetime | None = None) -> Debt:
    """Stop recovery for a specified reason: the rest of the debt goes back to the LA (LARET)."""
    now = now or timezone.now()
    if reason not in Debt.StopReason.values:
        raise ApplicationError("Choose why recovery is stopping.", extra={"faults": {"reason": "Choose a reason"}})
    if reason == Debt.StopReason.OTHER and not details.strip():
        raise ApplicationError("Say why recovery is stopping.", extra={"faults": {"details": "Give the reason"}})
    with transaction.atomic():
        debt = Debt.objects.select_for_update().select_related("la", "owning_site", "case").get(pk=debt.pk)
        if debt.status != Debt.Status.IN_RECOVERY:
            raise ApplicationError(f"Recovery of this debt has already ended ({debt.get_status_display()}).",
                                   status=409)
        remaining = debt.balance_pence
        if remaining > 0:
            _post(debt, [LedgerEntry(debt=debt, la_id=debt.la_id, kind=LedgerEntry.Kind.RETURNED_TO_LA,
                                     is_cash=False, amount_pence=remaining, effective_date=timezone.localdate(now),
                                     note=Debt.StopReason(reason).label)], kind="stop", now=now)
        Debt.objects.filter(pk=debt.pk).update(status=Debt.Status.RETURNED, closed_at=now, stop_reason=reason,
                                               stop_details=details.strip())
        debt.refresh_from_db()
        identified = identified_on or timezone.localdate(now)
        label = Debt.StopReason(reason).label
        _tell_la([debt], code="LARET", kind=events.RECOVERY_STOPPED, now=now, actor=actor,
                 summary=lambda d: f"Recovery stopped ({label.lower()}): {format_pence(remaining)} returned to the LA",
                 extra=lambda d: {"reason": label, "explanation": (
                     f"Recovery has stopped. The outstanding balance of {format_pence(remaining)} is returned to "
                     f"your authority to recover. {details.strip()}").strip(),
                     "balance": format_pence(remaining), "identified_on": f"{identified:%d %B %Y}"},
                 data=lambda d: {"identified_on": identified.isoformat(), "reason": reason})
    return debt


def debt_settle_by_la(*, debt: Debt, note: str, actor, now: dt.datetime) -> Debt:
    """The customer repaid the LA directly: the rest of the balance is settled by a non-cash entry (SETTLED_BY_LA:
    DM holds no money for it, so nothing is remitted), the debt closes paid in full and the LA is sent HBPIF."""
    with transaction.atomic():
        debt = Debt.objects.select_for_update().select_related("la", "owning_site", "case").get(pk=debt.pk)
        if debt.status != Debt.Status.IN_RECOVERY:
            raise ApplicationError(f"Recovery of this debt has already ended ({debt.get_status_display()}).",
                                   status=409)
        remaining = debt.balance_pence
        if remaining > 0:
            _post(debt, [LedgerEntry(debt=debt, la_id=debt.la_id, kind=LedgerEntry.Kind.SETTLED_BY_LA,
                                     is_cash=False, amount_pence=remaining, effective_date=timezone.localdate(now),
                                     note=note.strip()[:300])], kind="settled-by-la", now=now)
        Debt.objects.filter(pk=debt.pk).update(status=Debt.Status.PAID_IN_FULL, closed_at=now)
        debt.refresh_from_db()
        _tell_la([debt], code="HBPIF", kind=events.PAID_IN_FULL, now=now, actor=actor,
                 summary=lambda d: f"Paid in full: the customer repaid the LA directly ({format_pence(remaining)} "
                                   "settled)",
                 extra=lambda d: {"settled": format_pence(remaining), "explanation": (
                     f"You told us the customer has repaid your authority in full. The outstanding balance of "
                     f"{format_pence(remaining)} has been settled and recovery has stopped. DWP Debt Management "
                     "holds no money for it.")})
    return debt


def debt_reduce(*, debt: Debt, amount_pence: int, reason: str, actor, now: dt.datetime) -> Debt:
    """The LA has reduced (or cancelled) the overpayment, for example on appeal: a non-cash REDUCTION entry lowers
    the balance. Reducing it to nothing cancels the debt (status CANCELLED). The caller tells the LA."""
    if not (reason or "").strip():
        raise ApplicationError("Give the reason the debt is reduced.")
    with transaction.atomic():
        debt = Debt.objects.select_for_update().select_related("la", "owning_site", "case").get(pk=debt.pk)
        if debt.status != Debt.Status.IN_RECOVERY:
            raise ApplicationError(f"Recovery of this debt has already ended ({debt.get_status_display()}).",
                                   status=409)
        if not 0 < amount_pence <= debt.balance_pence:
            raise ApplicationError(f"The reduction must be more than £0.00 and no more than the balance of "
                                   f"{format_pence(debt.balance_pence)}.", extra={"faults": {
                                       "amount": f"Enter an amount up to {format_pence(debt.balance_pence)}"}})
        _post(debt, [LedgerEntry(debt=debt, la_id=debt.la_id, kind=LedgerEntry.Kind.REDUCTION, is_cash=False,
                                 amount_pence=amount_pence, effective_date=timezone.localdate(now),
                                 note=reason.strip()[:300])], kind="reduction", now=now)
        debt.refresh_from_db()
        if debt.balance_pence == 0:
            Debt.objects.filter(pk=debt.pk).update(status=Debt.Status.CANCELLED, closed_at=now)
            debt.refresh_from_db()
            timeline.record(case=debt.case, kind=events.CANCELLED, occurred_at=now, actor=actor,
                            summary=f"Debt cancelled by the LA: {format_pence(amount_pence)} taken off; "
                                    f"{reason.strip()}", data={"debt_id": debt.pk, "amount_pence": amount_pence})
        else:
            timeline.record(case=debt.case, kind=events.REDUCED, occurred_at=now, actor=actor,
                            summary=f"Debt reduced by {format_pence(amount_pence)} to "
                                    f"{format_pence(debt.balance_pence)}: {reason.strip()}",
                            data={"debt_id": debt.pk, "amount_pence": amount_pence,
                                  "balance_pence": debt.balance_pence})
    return debt


@dataclass
class SuspensionScope:
    debt: Debt | None = None
    la: Organisation | None = None
    benefit_code: str | None = None


def suspension_create(*, scope: SuspensionScope, starts: dt.date, ends: dt.date | None, reason: str, actor,
                      now: dt.datetime | None = None) -> Suspension:
    """Pause deductions for one debt or in bulk (an LA's debts, deductions from one benefit, or everything)."""
    now = now or timezone.now()
    if not (reason or "").strip():
        raise ApplicationError("Give the reason for suspending recovery.")
    if ends and ends < starts:
        raise ApplicationError("The suspension must end on or after the day it starts.")
    with transaction.atomic():
        suspension = Suspension.objects.create(debt=scope.debt, la=scope.la, benefit_id=scope.benefit_code,
                                               starts=starts, ends=ends, reason=reason.strip()[:300],
                                               created_at=now, created_by=actor)
        if scope.debt is not None:
            timeline.record(case=scope.debt.case, kind=events.SUSPENDED, occurred_at=now, actor=actor,
                            summary=f"Recovery suspended from {starts:%d %B %Y}: {reason.strip()}",
                            data={"suspension_id": suspension.pk})
    return suspension


def suspension_lift(*, suspension: Suspension, last_day: dt.date, actor, now: dt.datetime | None = None) -> Suspension:
    """Resume recovery: the suspension ends on `last_day`."""
    now = now or timezone.now()
    if last_day < suspension.starts:
        raise ApplicationError("Recovery cannot resume before the suspension started.")
    with transaction.atomic():
        Suspension.objects.filter(pk=suspension.pk).update(ends=last_day)
        suspension.refresh_from_db()
        if suspension.debt_id:
            timeline.record(case=suspension.debt.case, kind=events.RESUMED, occurred_at=now, actor=actor,
                            summary=f"Recovery resumed after {last_day:%d %B %Y}",
                            data={"suspension_id": suspension.pk})
    return suspension


# --- Hardship (Income and Expenditure) ---------------------------------------------------------------------

def hardship_record(*, debt: Debt, received_on: dt.date, forwarded_by_la: bool, details: str, actor,
                    weekly_income_pence: int | None = None, weekly_outgoings_pence: int | None = None,
                    now: dt.datetime | None = None) -> HardshipApplication:
    now = now or timezone.now()
    if received_on > timezone.localdate(now):
        raise ApplicationError("The date received cannot be in the future.")
    with transaction.atomic():
        application = HardshipApplication.objects.create(
            debt=debt, received_on=received_on, forwarded_by_la=forwarded_by_la, details=details.strip(),
            weekly_income_pence=weekly_income_pence, weekly_outgoings_pence=weekly_outgoings_pence,
            recorded_by=actor)
        timeline.record(case=debt.case, kind=events.HARDSHIP_RECEIVED, occurred_at=now, actor=actor,
                        summary="Income and Expenditure (hardship) application received" +
                                (", forwarded by the LA" if forwarded_by_la else ""),
                        data={"application_id": application.pk})
    return application


def hardship_decide(*, application: HardshipApplication, grant: bool, reasons: str, actor,
                    new_weekly_pence: int | None = None, effective_from: dt.date | None = None,
                    now: dt.datetime | None = None) -> HardshipApplication:
    """DM decides: a granted application lowers the rate from a date, and the LA is sent LAHSAG."""
    now = now or timezone.now()
    faults = {}
    if not (reasons or "").strip():
        faults["reasons"] = "Give the reasons for the decision"
    if grant:
        if not new_weekly_pence or new_weekly_pence <= 0:
            faults["new_weekly"] = "Enter the reduced weekly rate, more than £0.00"
        if effective_from is None:
            faults["effective_from"] = "Enter the date the reduced rate starts"
    if faults:
        raise ApplicationError("The decision could not be recorded.", extra={"faults": faults})
    with transaction.atomic():
        application = HardshipApplication.objects.select_for_update().get(pk=application.pk)
        if application.status != HardshipApplication.Status.RECEIVED:
            raise ApplicationError("This application has already been decided.", status=409)
        debt = Debt.objects.select_related("la", "owning_site", "case").get(pk=application.debt_id)
        application.status = (HardshipApplication.Status.GRANTED if grant else HardshipApplication.Status.REFUSED)
        application.decided_by, application.decided_at, application.reasons = actor, now, reasons.strip()
        if grant:
            application.new_weekly_pence, application.effective_from = new_weekly_pence, effective_from
            DebtRate.objects.create(debt=debt, effective_from=effective_from, weekly_pence=new_weekly_pence,
                                    reason=f"Hardship: {reasons.strip()}"[:200], created_at=now)
        application.save()
        if grant:
            _tell_la([debt], code="LAHSAG", kind=events.HARDSHIP_DECIDED, now=now, actor=actor,
                     summary=lambda d: f"Hardship granted: rate reduced to {format_pence(new_weekly_pence)} a week "
                                       f"from {effective_from:%d %B %Y}",
                     extra=lambda d: {"weekly_rate": format_pence(new_weekly_pence),
                                      "effective_from": f"{effective_from:%d %B %Y}",
                                      "explanation": "DWP Debt Management has decided an Income and Expenditure "
                                                     "application and reduced the weekly deduction."})
        else:
            timeline.record(case=debt.case, kind=events.HARDSHIP_DECIDED, occurred_at=now, actor=actor,
                            summary=f"Hardship application refused: {reasons.strip()}",
                            data={"application_id": application.pk})
    return application
