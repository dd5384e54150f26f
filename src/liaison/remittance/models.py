"""The monthly repayment to each LA (DOMAIN §7): money recovered in month M is paid in month M+1, one payment
per LA with a schedule itemising every debtor. Each cash ledger entry is remitted exactly once: the database
refuses a second item for the same entry (it is the item's primary key), and refuses to change or delete an item
or to delete a remittance once written.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.db import models


def month_end(month: dt.date) -> dt.date:
    """The last day of the month that contains `month`."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after the one that contains `month`."""
    return month_end(month) + dt.timedelta(days=1)


class RemittanceRun(models.Model):
    """One execution of the monthly run for month M: which remittances it drew up. A month may be run again
    (it then draws up only what is missing), so a month can have several runs and each remittance names its own.
    """

    month = models.DateField(help_text="The first day of the month the money was recovered in.")
    started_at = models.DateTimeField()
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["month", "started_at"], name="remittancerun_month")]

    def __str__(self) -> str:
        return f"Remittance run for {self.month:%B %Y} at {self.started_at:%Y-%m-%d %H:%M}"


class Remittance(models.Model):
    """One LA's payment for one month: the cash entries it covers are its items."""

    class Status(models.TextChoices):
        DRAFT = "DRAFT", "Not paid yet"
        PAID = "PAID", "Paid"

    # The only moves a remittance makes, checked in one place (services._check_transition).
    TRANSITIONS = {Status.DRAFT: frozenset({Status.PAID}), Status.PAID: frozenset()}

    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="remittances")
    month = models.DateField(help_text="The first day of the month the money was recovered in (month M).")
    due_by = models.DateField(help_text="The last day of the month after (M+1): the payment is due by then.")
    total_pence = models.BigIntegerField(
        default=0, help_text="The sum of the items, in pence. Negative when reversals exceed deductions: the LA owes DM.")
    item_count = models.PositiveIntegerField(default=0, help_text="How many ledger entries the remittance covers.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    run = models.ForeignKey(RemittanceRun, on_delete=models.PROTECT, related_name="remittances")
    created_at = models.DateTimeField()
    paid_on = models.DateField(null=True, blank=True, help_text="The day the payment was made.")
    paid_at = models.DateTimeField(null=True, blank=True, help_text="When FCG recorded the payment.")
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    payment_reference = models.CharField(max_length=100, blank=True)
    schedule_pdf = models.FileField(upload_to="remittances/%Y/%m/", blank=True,
                                    help_text="The schedule as a PDF, kept once rendered; cleared when paid.")

    class Meta:
        ordering = ["-month", "id"]
        indexes = [models.Index(fields=["month", "status"], name="remittance_month_status")]
        constraints = [
            models.UniqueConstraint(fields=["la", "month"], name="remittance_one_per_la_month"),
            models.CheckConstraint(name="remittance_paid_shape", condition=(
                models.Q(status="DRAFT", paid_on__isnull=True, paid_at__isnull=True, paid_by__isnull=True,
                         payment_reference="")
                | (models.Q(status="PAID", paid_on__isnull=False, paid_at__isnull=False) & ~models.Q(payment_reference="")))),
            models.CheckConstraint(name="remittance_due_after_month", condition=models.Q(due_by__gt=models.F("month"))),
        ]

    def __str__(self) -> str:
        return f"Remittance to {self.la} for {self.month:%B %Y}"

    @property
    def reference(self) -> str:
        return f"R{self.pk:07d}"

    @property
    def month_end(self) -> dt.date:
        return month_end(self.month)

    @property
    def owes_dm(self) -> bool:
        """Reversals exceeded deductions this month: the LA owes DM the (positive) amount."""
        return self.total_pence < 0

    @property
    def owed_to_dm_pence(self) -> int:
        return -self.total_pence if self.total_pence < 0 else 0

    @property
    def is_paid(self) -> bool:
        return self.status == self.Status.PAID

    def is_overdue(self, today: dt.date) -> bool:
        return self.status == self.Status.DRAFT and today > self.due_by


class RemittanceItem(models.Model):
    """One cash ledger entry paid out in a remittance. The entry is the primary key: no entry is ever remitted twice.

    The three references are not checked by database foreign keys (`db_constraint=False`): PostgreSQL checks a
    foreign key row by row, locking the row referred to, which made the monthly run over 5,000,000 entries several
    times slower. They hold by construction instead: items are only written by the run's INSERT … SELECT from the
    ledger and the remittances it joins, and nothing they refer to can go away (ledger entries, items and
    remittances refuse DELETE by trigger; a debt with entries is protected by the ledger's own foreign key).
    """

    entry = models.OneToOneField("recovery.LedgerEntry", primary_key=True, on_delete=models.PROTECT,
                                 db_constraint=False, related_name="remittance_item")
    remittance = models.ForeignKey(Remittance, on_delete=models.PROTECT, db_constraint=False, db_index=False,
                                   related_name="items")
    debt = models.ForeignKey("recovery.Debt", on_delete=models.PROTECT, db_constraint=False, db_index=False,
                             related_name="+")
    kind = models.CharField(max_length=16, help_text="A copy of the entry's kind: DEDUCTION or REVERSAL.")
    amount_pence = models.BigIntegerField(help_text="A copy of the entry's amount, in pence (negative: a reversal).")

    class Meta:
        # (remittance, entry), not (remittance, debt): the run inserts items in ledger order, so each remittance's
        # keys only ever grow and every insert lands on its last leaf page. Keyed by debt, inserts land all over an
        # index bigger than the buffer cache, and 5,000,000 of them took over 20 minutes instead of about one.
        # The schedule reads a remittance's items through it and groups them by debt (thousands of rows).
        indexes = [models.Index(fields=["remittance", "entry"], name="remittanceitem_remit_entry")]
        constraints = [
            models.CheckConstraint(name="remittanceitem_amount_not_zero",
                                   condition=models.Q(amount_pence__gt=0) | models.Q(amount_pence__lt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_pence}p (entry {self.entry_id})"
