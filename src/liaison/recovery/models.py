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
        SUSPENDED = "SUSPENDED", "Suspended"
        PAID_IN_FULL = "PAID_IN_FULL", "Paid in full"
        RETURNED = "RETURNED", "Returned to the LA"

    class BenefitType(models.TextChoices):
        HB = "HB", "Housing Benefit"
        CTB = "CTB", "Council Tax Benefit"

    case = models.ForeignKey("core.Case", on_delete=models.PROTECT, related_name="debts")
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="debts")
    owning_site = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+",
                                    help_text="The CCG site named on the notice of recovery.")
    nino = models.CharField(max_length=9)
    debtor_name = models.CharField(max_length=200)
    la_reference = models.CharField(max_length=40)
    benefit_type = models.CharField(max_length=3, choices=BenefitType.choices)
    is_civil_penalty = models.BooleanField(default=False)
    overpayment = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="civil_penalties",
                                    help_text="For a Civil Penalty: the overpayment debt it belongs to.")
    classification = models.CharField(max_length=5, choices=Classification.choices)
    original_balance_pence = models.PositiveIntegerField(help_text="The balance referred, in pence.")
    weekly_rate_pence = models.PositiveIntegerField(help_text="The weekly deduction, in pence.")
    recovery_start_date = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_RECOVERY)
    loaded_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["la", "status"], name="debt_la_status"),
            models.Index(fields=["nino"], name="debt_nino"),
            models.Index(fields=["status", "recovery_start_date"], name="debt_status_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(original_balance_pence__gt=0), name="debt_balance_positive"),
            models.CheckConstraint(condition=models.Q(weekly_rate_pence__gt=0), name="debt_rate_positive"),
            models.CheckConstraint(
                condition=models.Q(is_civil_penalty=False, overpayment__isnull=True) | models.Q(is_civil_penalty=True),
                name="debt_only_penalty_has_overpayment"),
        ]

    def __str__(self) -> str:
        return f"Debt {self.pk} ({self.la_reference})"
