"""Opening debts for recovery, and the rate table."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from liaison.core.bulk import bulk_insert, unsaved
from liaison.core.calendar import next_weekday_on_or_after
from liaison.core.errors import ApplicationError
from liaison.core.money import parse_pounds
from liaison.recovery.models import RecoveryRate

DATA_DIR = Path(__file__).resolve().parent / "data"


def rates_load(*, path: Path | None = None) -> int:
    count = 0
    with open(path or DATA_DIR / "rates.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            RecoveryRate.objects.update_or_create(
                effective_from=dt.date.fromisoformat(row["effective_from"]),
                defaults={
                    "personal_allowance_pence": parse_pounds(row["personal_allowance"]),
                    "standard_weekly_pence": parse_pounds(row["standard_weekly"]),
                    "fraud_weekly_pence": parse_pounds(row["fraud_weekly"]),
                    "source": row["source"],
                },
            )
            count += 1
    return count


class RateTable:
    """The rates in force on any date, read once (bulk paths ask thousands of times)."""

    def __init__(self, rates: list[RecoveryRate] | None = None) -> None:
        rates = rates if rates is not None else list(RecoveryRate.objects.order_by("effective_from"))
        self._rates = sorted(rates, key=lambda r: r.effective_from)

    def on(self, day: dt.date) -> RecoveryRate:
        found = None
        for rate in self._rates:
            if rate.effective_from <= day:
                found = rate
            else:
                break
        if found is None:
            raise ApplicationError(f"No recovery rate is in force on {day:%d %B %Y}: load the rate table.")
        return found


@dataclass(frozen=True)
class RecoveryTerms:
    start_date: dt.date
    weekly_rate_pence: int


def recovery_terms(*, classification: str, balance_pence: int, loaded_on: dt.date, rates: RateTable,
                   notice_days: int | None = None) -> RecoveryTerms:
    """When recovery starts and at what weekly rate.

    Recovery starts on the first Monday at least LIAISON_RECOVERY_NOTICE_DAYS after loading (the customer is
    told before deductions begin; see docs/adr/0004). The rate is the one in force that day for the
    classification (fraud or standard), never more than the balance.
    """
    if notice_days is None:
        notice_days = _notice_days()
    start = next_weekday_on_or_after(loaded_on + dt.timedelta(days=notice_days), 0)
    weekly = rates.on(start).weekly_pence(classification)
    return RecoveryTerms(start_date=start, weekly_rate_pence=min(weekly, balance_pence))


def _notice_days() -> int:
    return getattr(settings, "LIAISON_RECOVERY_NOTICE_DAYS", 14)


@dataclass
class DebtRequest:
    """What opening a debt needs; `recovery` knows nothing of where the request came from."""

    case_id: int
    la_id: int
    owning_site_id: int
    nino: str
    debtor_name: str
    la_reference: str
    benefit_type: str
    classification: str
    balance_pence: int
    is_civil_penalty: bool = False
    overpayment_id: int | None = None


def debts_open(*, requests: list[DebtRequest], loaded_at: dt.datetime, rates: RateTable | None = None) -> list:
    """Open debts for recovery (set-based), each with its start date and weekly rate. Inside the caller's
    transaction. Returns the saved debts in the order asked."""
    from django.utils import timezone

    from liaison.recovery.models import Debt

    rates = rates or RateTable()
    loaded_on = timezone.localdate(loaded_at)
    notice_days = _notice_days()  # read once: a setting that is not set is slow to ask for thousands of times
    debts = []
    for r in requests:
        terms = recovery_terms(classification=r.classification, balance_pence=r.balance_pence, loaded_on=loaded_on,
                               rates=rates, notice_days=notice_days)
        debts.append(unsaved(
            Debt, case_id=r.case_id, la_id=r.la_id, owning_site_id=r.owning_site_id, nino=r.nino,
            debtor_name=r.debtor_name, la_reference=r.la_reference, benefit_type=r.benefit_type,
            is_civil_penalty=r.is_civil_penalty, overpayment_id=r.overpayment_id, classification=r.classification,
            original_balance_pence=r.balance_pence, weekly_rate_pence=terms.weekly_rate_pence,
            recovery_start_date=terms.start_date, loaded_at=loaded_at,
        ))
    bulk_insert(debts)
    return debts
