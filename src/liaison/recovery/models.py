"""Debts being recovered on an LA's behalf, and the dated rate table DM recovers them at."""

from __future__ import annotations

from django.db import models


class Classification(models.TextChoices):
    ERROR = "ERROR", "Error"
    FRAUD = "FRAUD", "Fraud"


class RecoveryRate(models.Model):
    """Weekly deduction rates in force from a date (DOMAIN D4: data, never constants in code).

    Standard: 3 x (5% of the single 25+ personal allowance, rounded up to 5p); fraud: 5 x the same
    (Social Security (Payments on account, Overpayments and Recovery) Regulations 1988, regs 15-16).
    """

    effective_from = models.DateField(unique=True)
    personal_allowance_pence = models.PositiveIntegerField()
    standard_weekly_pence = models.PositiveIntegerField()
    fraud_weekly_pence = models.PositiveIntegerField()
    source = models.CharField(max_length=300)

    class Meta:
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(condition=models.Q(fraud_weekly_pence__gte=models.F("standard_weekly_pence")),
                                   name="rate_fraud_not_below_standard"),
        ]

    def __str__(self) -> str:
        return f"Rates from {self.effective_from}"

    def weekly_pence(self, classification: str) -> int:
        return self.fraud_weekly_pence if classification == Classification.FRAUD else self.standard_weekly_pence


class InstalmentPlan(models.Model):
    """A repayment arrangement already held on Debt Manager for a customer (scrutiny check 3)."""

    nino = models.CharField(max_length=9, db_index=True)
    reference = models.CharField(max_length=40)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    weekly_amount_pence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reference"], name="instalment_plan_reference_unique")]

    def __str__(self) -> str:
        return f"Plan {self.reference} for {self.nino}"


class Debt(models.Model):
    class Status(models.TextChoices):
        IN_RECOVERY = "IN_RECOVERY", "In recovery"
        PAID_IN_FULL = "PAID_IN_FULL", "Paid in full"
        RETURNED = "RETURNED", "Recovery stopped: returned to the LA"
        CANCELLED = "CANCELLED", "Cancelled by the LA"

    class StopReason(models.TextChoices):
        AWARD_ENDED = "AWARD_ENDED", "The customer's benefit award ended"
        DIED = "DIED", "The customer died"
        NOW_ON_HB = "NOW_ON_HB", "The customer now receives Housing Benefit"
        LA_ARRANGEMENTS = "LA_ARRANGEMENTS", "The LA has made its own arrangements"
        WRITTEN_BACK = "WRITTEN_BACK", "Written back to the LA"
        OTHER = "OTHER", "Other reason"

    class BenefitType(models.TextChoices):
        HB = "HB", "Housing Benefit"
        CTB = "CTB", "Council Tax Benefit"

    case = models.ForeignKey("core.Case", on_delete=models.PROTECT, related_name="debts")
    # (no index of its own: debt_la_status, below, leads with la)
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="debts", db_index=False)
    owning_site = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+",
                                    help_text="The CCG site named on the notice of recovery.")
    nino = models.CharField(max_length=9)
    debtor_name = models.CharField(max_length=200)
    la_reference = models.CharField(max_length=40)
    benefit_type = models.CharField(max_length=3, choices=BenefitType.choices)
    is_civil_penalty = models.BooleanField(default=False)
    overpayment = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="civil_penalties", db_index=False,  # debt_overpayment: partial
                                    help_text="For a Civil Penalty: the overpayment debt it belongs to.")
    classification = models.CharField(max_length=5, choices=Classification.choices)
    original_balance_pence = models.PositiveIntegerField(help_text="The balance referred, in pence.")
    weekly_rate_pence = models.PositiveIntegerField(help_text="The weekly deduction, in pence.")
    recovery_start_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_RECOVERY)
    loaded_at = models.DateTimeField()
    cleared_pence = models.PositiveBigIntegerField(
        default=0, help_text="Total of the ledger, in pence: kept with every posting in the same transaction, so the "
                             "database can refuse a balance below zero. The balance is original minus this.")
    closed_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=16, choices=StopReason.choices, blank=True)
    stop_details = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["la", "status"], name="debt_la_status"),
            models.Index(fields=["nino"], name="debt_nino"),
            models.Index(fields=["status", "recovery_start_date"], name="debt_status_start"),
            # Only a Civil Penalty's debt names an overpayment: only those are indexed.
            models.Index(fields=["overpayment"], name="debt_overpayment", condition=models.Q(overpayment__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(original_balance_pence__gt=0), name="debt_balance_positive"),
            models.CheckConstraint(condition=models.Q(weekly_rate_pence__gt=0), name="debt_rate_positive"),
            models.CheckConstraint(condition=models.Q(cleared_pence__lte=models.F("original_balance_pence")),
                                   name="debt_balance_never_below_zero"),
            models.CheckConstraint(
                condition=models.Q(is_civil_penalty=False, overpayment__isnull=True) | models.Q(is_civil_penalty=True),
                name="debt_only_penalty_has_overpayment"),
        ]

    def __str__(self) -> str:
        return f"Debt {self.pk} ({self.la_reference})"

    @property
    def balance_pence(self) -> int:
        return self.original_balance_pence - self.cleared_pence

    @property
    def reference(self) -> str:
        return f"D{self.pk:08d}"


class DebtRate(models.Model):
    """A rate set for one debt from a date: a reduced hardship rate (Income and Expenditure decision)."""

    debt = models.ForeignKey(Debt, on_delete=models.PROTECT, related_name="rates")
    effective_from = models.DateField()
    weekly_pence = models.PositiveIntegerField(help_text="The weekly deduction from this date, in pence.")
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["debt", "-effective_from"], name="debtrate_debt_from")]
        constraints = [models.CheckConstraint(condition=models.Q(weekly_pence__gt=0), name="debtrate_positive")]


class Posting(models.Model):
    """One write to the ledger (a chunk of a deduction run, a reversal, a closure): entries carry it, so a posting
    updates exactly the debts it wrote to, and a re-run never counts an entry twice."""

    created_at = models.DateTimeField()
    kind = models.CharField(max_length=32)
    run = models.ForeignKey("DeductionRun", null=True, blank=True, on_delete=models.PROTECT, related_name="postings")


class LedgerEntry(models.Model):
    """An immutable movement on a debt. `amount_pence` clears the balance when positive (a deduction) and restores
    it when negative (a reversal). Cash entries are money DM holds for the LA and are remitted exactly once."""

    class Kind(models.TextChoices):
        DEDUCTION = "DEDUCTION", "Deduction from benefit"
        REVERSAL = "REVERSAL", "Reversal of a deduction"
        RETURNED_TO_LA = "RETURNED_TO_LA", "Balance returned to the LA"
        REDUCTION = "REDUCTION", "Debt reduced or cancelled by the LA"
        SETTLED_BY_LA = "SETTLED_BY_LA", "Customer repaid the LA directly"

    CASH_KINDS = (Kind.DEDUCTION, Kind.REVERSAL)

    # Every index is written by every deduction (a million a week), so the ledger has two: its key, and the unique
    # (debt, week, kind) index, which serves every look-up by debt.
    # The references are checked by the database once per statement, set-based (migration 0006: an entry names a
    # debt that exists and is of the entry's LA, a posting, a benefit and an entry that exist; a debt, posting or
    # benefit with entries cannot be deleted), not by a foreign key's per-row check: a deduction run writes a
    # million entries, and four per-row checks each cost more than writing the row.
    debt = models.ForeignKey(Debt, on_delete=models.PROTECT, related_name="entries", db_index=False,
                             db_constraint=False)
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+", db_index=False,
                           db_constraint=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    is_cash = models.BooleanField()
    amount_pence = models.BigIntegerField(help_text="Pence cleared from the balance (negative: restored).")
    effective_date = models.DateField(help_text="When the movement took effect.")
    recorded_at = models.DateTimeField(help_text="When Liaison recorded it.")
    week_start = models.DateField(null=True, blank=True, help_text="For a deduction: the Monday of its week.")
    benefit = models.ForeignKey("benefits.Benefit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                db_index=False, db_constraint=False)
    # Reversed at most once: a unique index on the few entries that reverse one (not a one-to-one field, whose
    # index would take a NULL from every deduction).
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by",
                                 db_constraint=False, db_index=False)
    posting = models.ForeignKey(Posting, on_delete=models.PROTECT, related_name="entries", db_index=False,
                                db_constraint=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        # No other index: every one is written by each of the million entries a week. Entries are read by debt
        # (the unique index below), by posting within a chunk's range of debts, and by the remittance in id order.
        indexes: list = []
        constraints = [
            # One deduction per debt and week (only deductions have a week), and the index that finds a debt's
            # entries: one index doing both, since each of the million entries a week is written into every index.
            models.UniqueConstraint(fields=["debt", "week_start", "kind"], name="entry_one_deduction_per_debt_week"),
            models.UniqueConstraint(fields=["reverses"], condition=models.Q(reverses__isnull=False),
                                    name="entry_reversed_once"),
            models.CheckConstraint(name="entry_deduction_shape", condition=~models.Q(kind="DEDUCTION") | models.Q(
                amount_pence__gt=0, week_start__isnull=False, is_cash=True)),
            models.CheckConstraint(name="entry_reversal_shape", condition=~models.Q(kind="REVERSAL") | models.Q(
                amount_pence__lt=0, reverses__isnull=False, is_cash=True)),
            models.CheckConstraint(name="entry_non_cash_kinds", condition=models.Q(
                kind__in=["RETURNED_TO_LA", "REDUCTION", "SETTLED_BY_LA"], is_cash=False,
                amount_pence__gt=0) | models.Q(kind__in=["DEDUCTION", "REVERSAL"])),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_pence}p on debt {self.debt_id}"


class DeductionRun(models.Model):
    """The weekly deduction run for one benefit week (Monday to Sunday). One per week, resumable."""

    class State(models.TextChoices):
        RUNNING = "RUNNING", "Running"
        DONE = "DONE", "Finished"

    week_start = models.DateField(unique=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Deductions for the week of {self.week_start}"


class DeductionRunChunk(models.Model):
    """One range of a run's debts (lo < id <= hi), posted in one transaction by whichever worker claimed it: a run
    killed part way keeps the chunks it finished, and workers running at once each take chunks nobody holds."""

    run = models.ForeignKey(DeductionRun, on_delete=models.CASCADE, related_name="chunks")
    lo = models.BigIntegerField()
    hi = models.BigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)
    posted = models.IntegerField(default=0)
    paid_in_full = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "lo"], name="deduction_chunk_once")]


class Suspension(models.Model):
    """Recovery paused for one debt, or in bulk (by LA, by benefit deducted from, or everything) over a period."""

    debt = models.ForeignKey(Debt, null=True, blank=True, on_delete=models.PROTECT, related_name="suspensions")
    la = models.ForeignKey("partners.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    benefit = models.ForeignKey("benefits.Benefit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    starts = models.DateField()
    ends = models.DateField(null=True, blank=True, help_text="The last day suspended; blank until recovery resumes.")
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey("partners.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(ends__isnull=True) | models.Q(ends__gte=models.F("starts")),
                                              name="suspension_ends_after_start")]

    def __str__(self) -> str:
        return f"Suspension from {self.starts}: {self.reason}"


class HardshipApplication(models.Model):
    """An Income and Expenditure application: decided by DM only; an LA that receives one forwards it."""

    class Status(models.TextChoices):
        RECEIVED = "RECEIVED", "Waiting for a decision"
        GRANTED = "GRANTED", "Granted: rate reduced"
        REFUSED = "REFUSED", "Refused"

    debt = models.ForeignKey(Debt, on_delete=models.PROTECT, related_name="hardship_applications")
    received_on = models.DateField()
    forwarded_by_la = models.BooleanField(default=False)
    weekly_income_pence = models.PositiveIntegerField(null=True, blank=True)
    weekly_outgoings_pence = models.PositiveIntegerField(null=True, blank=True)
    details = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RECEIVED)
    recorded_by = models.ForeignKey("partners.User", on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey("partners.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reasons = models.TextField(blank=True)
    new_weekly_pence = models.PositiveIntegerField(null=True, blank=True)
    effective_from = models.DateField(null=True, blank=True)
