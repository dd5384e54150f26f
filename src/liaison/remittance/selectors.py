"""Reads, scoped to the organisations party to each remittance: an LA sees its own; DM (FCG and the rest) all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from liaison.recovery.models import LedgerEntry
from liaison.remittance.models import Remittance, RemittanceItem


def remittances_for(user) -> QuerySet[Remittance]:
    qs = Remittance.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_dm_user:
        return qs
    if user.is_la_user and user.organisation_id:
        return qs.filter(la_id=user.organisation_id)
    return qs.none()


def remittance_for(user, pk) -> Remittance:
    """The remittance, or 404 whether it does not exist or belongs to another LA (no hint which)."""
    remittance = remittances_for(user).select_related("la", "paid_by").filter(pk=pk).first()
    if remittance is None:
        raise Http404("No such remittance")
    return remittance


@dataclass(frozen=True)
class ScheduleLine:
    """One line of a schedule: what one debt contributed, its deductions and its reversals on separate lines."""

    debt_id: int
    la_reference: str
    nino: str
    debtor_name: str
    kind: str
    amount_pence: int
    entries: int

    @property
    def debt_reference(self) -> str:
        return f"D{self.debt_id:08d}"  # as Debt.reference

    @property
    def is_reversal(self) -> bool:
        return self.kind == LedgerEntry.Kind.REVERSAL

    @property
    def kind_label(self) -> str:
        return "Reversal" if self.is_reversal else "Deduction"


def schedule_rows(remittance: Remittance) -> QuerySet:
    """The schedule as one grouped query: a line per debt and kind, ordered by the LA's own reference."""
    return (RemittanceItem.objects.filter(remittance_id=remittance.pk)
            .values("debt_id", "kind", "debt__la_reference", "debt__nino", "debt__debtor_name")
            .annotate(amount=Sum("amount_pence"), entries=Count("entry_id"))
            .order_by("debt__la_reference", "debt_id", "kind"))


def line_from_row(row: dict) -> ScheduleLine:
    return ScheduleLine(debt_id=row["debt_id"], la_reference=row["debt__la_reference"], nino=row["debt__nino"],
                        debtor_name=row["debt__debtor_name"], kind=row["kind"], amount_pence=row["amount"],
                        entries=row["entries"])


def schedule_lines(remittance: Remittance) -> Iterator[ScheduleLine]:
    for row in schedule_rows(remittance).iterator(chunk_size=5000):
        yield line_from_row(row)


def remittance_months(qs: QuerySet[Remittance]) -> list:
    return list(qs.order_by("-month").values_list("month", flat=True).distinct())
