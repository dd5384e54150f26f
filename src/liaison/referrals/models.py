"""A referral on the National Referral form (SLA Appendix 6), and bulk files of them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liaison.core.models import BulkFile


class Channel(models.TextChoices):
    WEB = "WEB", "Web form"
    API = "API", "API"
    FILE = "FILE", "Bulk file"
    MAILBOX = "MAILBOX", "Secure mailbox"


class Status(models.TextChoices):
    QUEUED = "QUEUED", "Waiting for a CC Porth officer"
    LOADED = "LOADED", "Loaded for recovery"
    RETURNED_NON_QUALITY = "RETURNED_NON_QUALITY", "Returned: missing or invalid data"
    RETURNED_NO_BENEFIT = "RETURNED_NO_BENEFIT", "Returned: no prescribed benefit"
    NOT_LOADED_INSTALMENT_PLAN = "NOT_LOADED_PLAN", "Not loaded: instalment plan already held"
    NOT_LOADED_DUPLICATE = "NOT_LOADED_DUPLICATE", "Not loaded: duplicate"


# Every referral gets exactly one outcome; only a queued one may still change, and only to an outcome.
OUTCOMES = frozenset(set(Status) - {Status.QUEUED})
TRANSITIONS: dict[str, frozenset[str]] = {Status.QUEUED: OUTCOMES}
# A referral in one of these states holds its (LA, LA reference): sending it again is recognised, not loaded twice.
HOLDS_REFERENCE = [Status.QUEUED, Status.LOADED, Status.NOT_LOADED_INSTALMENT_PLAN, Status.NOT_LOADED_DUPLICATE]


class QueueReason(models.TextChoices):
    REGISTER_UNAVAILABLE = "REGISTER_UNAVAILABLE", "The benefit register could not be checked"
    POSSIBLE_DUPLICATE = "POSSIBLE_DUPLICATE", "Possible duplicate: same customer, overlapping period"
    PENALTY_OVERPAYMENT_PENDING = "PENALTY_PENDING", "Civil Penalty whose overpayment is not yet loaded"


class Cause(models.TextChoices):
    FAILURE_TO_DISCLOSE = "failure_to_disclose", "Failure to disclose"
    MISREPRESENTATION = "misrepresentation", "Misrepresentation of a material fact"


class Reason(models.Model):
    code = models.CharField(max_length=20, primary_key=True)
    label = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.label


class ImportBatch(BulkFile):
    """A bulk file of referrals, processed by the worker in chunks; each chunk commits on its own."""

    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="import_batches")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.FILE)
    file = models.FileField(upload_to="imports/%Y/%m/")

    class Meta:
        indexes = [models.Index(fields=["la", "-created_at"], name="import_la_created")]


class ImportRow(models.Model):
    """A row of a bulk file that did not become a new referral (sent again, or unreadable)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="other_rows")
    row_number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=32)
    la_reference = models.CharField(max_length=40, blank=True)
    referral = models.ForeignKey("Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    faults = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["batch", "row_number"], name="importrow_batch_row")]


class Referral(models.Model):
    # Every reference is checked by the database per statement, not per row (migration 0002, ADR 0013): hence
    # db_constraint=False; PROTECT still guards deletes in the ORM, and triggers below it.
    case = models.OneToOneField("core.Case", on_delete=models.PROTECT, related_name="referral", db_constraint=False)
    # la and import_batch have no index of their own: referral_la_received and referral_batch_row lead with them.
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="referrals",
                           db_constraint=False, db_index=False)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", db_constraint=False)
    import_batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="referrals", db_constraint=False, db_index=False)
    source_row = models.PositiveIntegerField(null=True, blank=True)
    received_at = models.DateTimeField()
    status = models.CharField(max_length=24, choices=Status.choices)
    queue_reason = models.CharField(max_length=24, choices=QueueReason.choices, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", db_constraint=False, db_index=False)  # partial index
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", db_constraint=False, db_index=False)  # partial index
    decision_reasons = models.TextField(blank=True)
    faults = models.JSONField(default=list, blank=True)
    submitted = models.JSONField(default=dict, blank=True, help_text="The data as received, for a faulty referral.")

    # The National Referral form (SLA Appendix 6, DOMAIN §2). Blank or null only on a non-quality referral.
    referral_date = models.DateField(null=True)
    cis_checked_on = models.DateField(null=True)
    customer_name = models.CharField(max_length=200, blank=True)
    address_line_1 = models.CharField(max_length=100, blank=True)
    address_line_2 = models.CharField(max_length=100, blank=True)
    address_line_3 = models.CharField(max_length=100, blank=True)
    address_line_4 = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    nino = models.CharField(max_length=9, blank=True)
    date_of_birth = models.DateField(null=True)
    la_reference = models.CharField(max_length=40, blank=True)
    la_code = models.CharField(max_length=16, blank=True)
    cause = models.CharField(max_length=24, choices=Cause.choices, blank=True)
    classification = models.CharField(max_length=5, blank=True)
    # Not indexed: nothing looks referrals up by it, and a reason (reference data) is retired, never deleted.
    reason = models.ForeignKey(Reason, null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False,
                               db_index=False)
    reason_other = models.CharField(max_length=500, blank=True)
    period_from = models.DateField(null=True)
    period_to = models.DateField(null=True)
    amount_recovered_pence = models.PositiveIntegerField(null=True, help_text="Already recovered by the LA, in pence.")
    outstanding_balance_pence = models.PositiveIntegerField(null=True, help_text="Outstanding balance, in pence.")
    benefit_type = models.CharField(max_length=3, blank=True)
    is_civil_penalty = models.BooleanField(default=False)
    penalty_overpayment_reference = models.CharField(max_length=40, blank=True)
    penalty_overpayment = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="civil_penalties", db_constraint=False,
                                            db_index=False)  # partial index
    debt = models.OneToOneField("recovery.Debt", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="referral", db_constraint=False)

    class Meta:
        indexes = [
            models.Index(fields=["la", "-received_at"], name="referral_la_received"),
            models.Index(fields=["la", "status", "-received_at"], name="referral_la_status"),
            models.Index(fields=["status", "received_at"], name="referral_status_received"),
            models.Index(fields=["nino"], name="referral_nino"),
            models.Index(fields=["la", "la_reference"], name="referral_la_ref"),
            models.Index(fields=["import_batch", "source_row"], name="referral_batch_row"),
            # Set on few referrals (queued ones an officer took, Civil Penalties): only those are indexed.
            models.Index(fields=["assigned_to"], name="referral_assigned_to",
                         condition=models.Q(assigned_to__isnull=False)),
            models.Index(fields=["decided_by"], name="referral_decided_by", condition=models.Q(decided_by__isnull=False)),
            models.Index(fields=["penalty_overpayment"], name="referral_penalty_of",
                         condition=models.Q(penalty_overpayment__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["la", "la_reference"], condition=models.Q(status__in=HOLDS_REFERENCE),
                                    name="referral_one_live_per_la_reference"),
            models.CheckConstraint(condition=models.Q(status__in=list(Status.values)), name="referral_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=Status.LOADED) | models.Q(debt__isnull=False),
                name="referral_loaded_has_debt"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.la_reference or self.pk}"

    @property
    def is_outcome_final(self) -> bool:
        return self.status in OUTCOMES
