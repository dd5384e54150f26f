from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from liaison.recovery.models import Debt, DebtRate, InstalmentPlan, RecoveryRate


def ninos_with_current_instalment_plan(ninos: Iterable[str], *, on: dt.date) -> set[str]:
    ninos = list(set(ninos))
    found: set[str] = set()
    for start in range(0, len(ninos), 5000):
        found.update(InstalmentPlan.objects.filter(nino__any=ninos[start:start + 5000], start__lte=on)
                     .filter(Q(end__isnull=True) | Q(end__gte=on)).values_list("nino", flat=True))
    return found


def debts_for(user) -> QuerySet[Debt]:
    """Debts the user's organisation is party to: an LA's own; all for DM."""
    qs = Debt.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_dm_user:
        return qs
    if user.is_la_user and user.organisation_id:
        return qs.filter(la_id=user.organisation_id)
    return qs.none()


def debt_for(user, pk) -> Debt:
    debt = debts_for(user).select_related("la", "owning_site", "case", "overpayment").filter(pk=pk).first()
    if debt is None:
        raise Http404("No such debt")
    return debt


# What an account line shows of its entry. Read as named rows, not model instances: an account can have hundreds
# of entries and building a model instance for each costs more than the rest of the page.
LINE_FIELDS = ("id", "kind", "amount_pence", "effective_date", "recorded_at", "benefit_id", "note", "reverses_id")


@dataclass
class Line:
    entry: Any  # a named row of LINE_FIELDS
    balance_pence: int
    reversed: bool = False


def account_lines(debt: Debt) -> list[Line]:
    """Every entry in the order it took effect, with the running balance after it (one query)."""
    balance = debt.original_balance_pence
    entries = list(debt.entries.order_by("effective_date", "id").values_list(*LINE_FIELDS, named=True))
    reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
    lines = []
    for entry in entries:
        balance -= entry.amount_pence
        lines.append(Line(entry, balance, entry.id in reversed_ids))
    return lines


@dataclass
class RatePeriod:
    starts: dt.date
    weekly_pence: int
    basis: str


def rate_history(debt: Debt, *, until: dt.date) -> list[RatePeriod]:
    """The weekly rate from recovery start: the dated table's rate for the classification, replaced from its date
    by a hardship rate (a later table change does not undo a hardship rate)."""
    basis = "Fraud rate" if debt.classification == "FRAUD" else "Standard rate"
    changes: list[tuple[dt.date, int, str, bool]] = []
    for rate in RecoveryRate.objects.filter(effective_from__lte=until).order_by("effective_from"):
        changes.append((max(rate.effective_from, debt.recovery_start_date), rate.weekly_pence(debt.classification),
                        basis, False))
    for override in DebtRate.objects.filter(debt=debt, effective_from__lte=until).order_by("effective_from", "id"):
        changes.append((override.effective_from, override.weekly_pence, override.reason, True))
    periods: list[RatePeriod] = []
    table = override = None
    for starts, weekly, why, is_override in sorted(changes, key=lambda c: (c[0], c[3])):
        if is_override:
            override = (weekly, why)
        else:
            table = (weekly, why)
        weekly_now, why_now = override or table
        if periods and periods[-1].starts == starts:
            periods[-1] = RatePeriod(starts, weekly_now, why_now)
        elif not periods or (periods[-1].weekly_pence, periods[-1].basis) != (weekly_now, why_now):
            periods.append(RatePeriod(starts, weekly_now, why_now))
    return periods
