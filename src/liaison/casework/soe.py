"""The sequence of events of a debt: its case's timeline and its ledger, as a document in plain words (SLA A1.8).

Built from the one source everything else reads (the timeline): every step from the referral to the moment it is
prepared, with the day and time, who acted and for which organisation. Views of the case (the audit side of the
timeline) and internal queue housekeeping are left out. The money is the ledger, summarised by month: deductions
(how many, how much), reversals, and each other movement (returned to the LA, reduced, settled) on its own line.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from liaison.core import events as registry
from liaison.core.models import Event
from liaison.recovery.models import Debt, LedgerEntry

# Queue housekeeping is not part of the debt's history.
LEFT_OUT = frozenset({"casework.assigned"})


@dataclass
class Step:
    when: dt.datetime
    what: str
    who: str
    organisation: str


@dataclass
class Movement:
    day: dt.date
    what: str
    amount_pence: int
    note: str = ""


@dataclass
class Month:
    month: dt.date
    deductions: int = 0
    deducted_pence: int = 0
    reversals: int = 0
    reversed_pence: int = 0
    others: list[Movement] = field(default_factory=list)
    balance_after_pence: int = 0

    @property
    def recovered_pence(self) -> int:
        return self.deducted_pence - self.reversed_pence


@dataclass
class Document:
    debt: Debt
    until: dt.datetime
    reference: str
    prepared_by: str
    steps: list[Step]
    months: list[Month]
    balance_pence: int
    facts: list[tuple[str, str]]


def hidden_kinds() -> set[str]:
    """Event kinds that are not steps of the debt's history: views of the case, and queue housekeeping."""
    return {k.code for k in registry.all_kinds() if k.is_view} | LEFT_OUT


def _steps(debt: Debt, until: dt.datetime) -> list[Step]:
    hidden = hidden_kinds()
    rows = (Event.objects.filter(case_id=debt.case_id, occurred_at__lte=until).exclude(kind__in=hidden)
            .select_related("actor", "actor_organisation").order_by("occurred_at", "id"))
    return [Step(when=timezone.localtime(e.occurred_at), what=e.summary,
                 who=e.actor.display_name if e.actor_id else "Liaison (automatic)",
                 organisation=e.actor_organisation.name if e.actor_organisation_id else "")
            for e in rows.iterator(2000)]


def _months(debt: Debt, until: dt.date) -> tuple[list[Month], int]:
    months: dict[dt.date, Month] = {}
    balance = debt.original_balance_pence
    entries = debt.entries.filter(effective_date__lte=until).order_by("effective_date", "id")
    for entry in entries.iterator(2000):
        key = entry.effective_date.replace(day=1)
        month = months.setdefault(key, Month(month=key))
        if entry.kind == LedgerEntry.Kind.DEDUCTION:
            month.deductions += 1
            month.deducted_pence += entry.amount_pence
        elif entry.kind == LedgerEntry.Kind.REVERSAL:
            month.reversals += 1
            month.reversed_pence += -entry.amount_pence
        else:
            month.others.append(Movement(day=entry.effective_date, what=LedgerEntry.Kind(entry.kind).label,
                                         amount_pence=entry.amount_pence, note=entry.note))
        balance -= entry.amount_pence
        month.balance_after_pence = balance
    return list(months.values()), balance


def build(debt: Debt, *, until: dt.datetime, request=None, prepared_by=None) -> Document:
    """The document as it stands at `until` (time is an argument, like everywhere else)."""
    months, balance = _months(debt, timezone.localdate(until))
    benefit = {"HB": "Housing Benefit", "CTB": "Council Tax Benefit"}.get(debt.benefit_type, debt.benefit_type)
    facts = [
        ("Local Authority", f"{debt.la.name} ({debt.la.code})"),
        ("Customer", debt.debtor_name),
        ("National Insurance number", debt.nino),
        ("LA reference", debt.la_reference),
        ("Case and debt", f"{debt.case.reference}, debt {debt.reference}"),
        ("Benefit overpaid", benefit + (" (Civil Penalty)" if debt.is_civil_penalty else "")),
        ("Contact Centre for this debt", debt.owning_site.name),
        ("Balance referred", _pounds(debt.original_balance_pence)),
        ("Balance now", _pounds(balance)),
        ("Status", debt.get_status_display()),
    ]
    return Document(debt=debt, until=timezone.localtime(until), reference=getattr(request, "reference", ""),
                    prepared_by=getattr(prepared_by, "display_name", ""), steps=_steps(debt, until), months=months,
                    balance_pence=balance, facts=facts)


def _pounds(pence: int) -> str:
    from liaison.core.money import format_pence

    return format_pence(pence)


def render_html(document: Document, *, for_pdf: bool = False) -> str:
    return render_to_string("casework/soe_pdf.html", {"d": document, "for_pdf": for_pdf})


def render_pdf(document: Document) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_html(document, for_pdf=True), base_url=str(settings.PACKAGE_DIR)).write_pdf()
