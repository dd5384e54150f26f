"""Casework between an LA and DM's Contact Centres once a debt is loaded: changes of circumstances (SLA Appendix 7),
complaints and MP enquiries, and sequences of events, each with its place in a site's work queue."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from liaison.core.models import BulkFile


class Channel(models.TextChoices):
    WEB = "WEB", "Web form"
    API = "API", "API"
    FILE = "FILE", "Bulk file"


class ChangeKind(models.TextChoices):
    """The choices of the Appendix 7 form, in its words."""

    REPAID_IN_FULL = "REPAID_IN_FULL", "Customer repaid in full"
    NOW_ON_HB = "NOW_ON_HB", "Customer now in receipt of Housing Benefit"
    LA_ARRANGEMENTS = "LA_ARRANGEMENTS", "LA have made own arrangements for repayment"
    APPEALED = "APPEALED", "Customer has appealed or disputed the overpayment decision"
    OTHER = "OTHER", "Other"


class ChangeStatus(models.TextChoices):
    RECEIVED = "RECEIVED", "Waiting for DM to action it"
    AWAITING_OUTCOME = "AWAITING_OUTCOME", "Recovery suspended until the LA records the appeal's outcome"
    ACTIONED = "ACTIONED", "Actioned"
    CONCLUDED = "CONCLUDED", "Appeal outcome applied"


# The only moves a change may make, checked in one place (services._move).
CHANGE_TRANSITIONS: dict[str, frozenset[str]] = {
    ChangeStatus.RECEIVED: frozenset({ChangeStatus.ACTIONED, ChangeStatus.AWAITING_OUTCOME}),
    ChangeStatus.AWAITING_OUTCOME: frozenset({ChangeStatus.CONCLUDED}),
}
# A change in one of these states is still open: the same change sent again for the same debt is refused.
OPEN_CHANGE = [ChangeStatus.RECEIVED, ChangeStatus.AWAITING_OUTCOME]


class AppealOutcome(models.TextChoices):
    UPHELD = "UPHELD", "Overpayment decision upheld: the debt stands and recovery resumes"
    REDUCED = "REDUCED", "Overpayment reduced: the debt is lowered and recovery resumes"
    CANCELLED = "CANCELLED", "Overpayment cancelled: the debt is cancelled"


class ChangeOfCircumstances(models.Model):
    """An LA's change of circumstances notification (SLA Appendix 7) for one of its debts, routed to the CCG site
    named on the debt's notice of recovery."""

    case = models.ForeignKey("core.Case", on_delete=models.PROTECT, related_name="changes")
    debt = models.ForeignKey("recovery.Debt", on_delete=models.PROTECT, related_name="changes")
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="changes")
    site = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+",
                             help_text="The CCG site it was routed to.")
    kind = models.CharField(max_length=16, choices=ChangeKind.choices)
    la_told_on = models.DateField(help_text="The day the LA's overpayment team was told of the change.")
    received_at = models.DateTimeField(help_text="When DM received it.")
    due_on = models.DateField(help_text="The day DM must action it by (COC-ACTION).")
    details = models.TextField(blank=True)
    officer_name = models.CharField(max_length=200, help_text="The LA officer who sent it (the form's 'Name').")
    customer_name = models.CharField(max_length=200)
    nino = models.CharField(max_length=9)
    la_reference = models.CharField(max_length=40)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    file = models.ForeignKey("ChangeFile", null=True, blank=True, on_delete=models.PROTECT, related_name="changes")
    source_row = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=ChangeStatus.choices, default=ChangeStatus.RECEIVED)
    actioned_at = models.DateTimeField(null=True, blank=True)
    actioned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    decision = models.TextField(blank=True, help_text="The agent's written decision or note for the LA.")
    effect = models.CharField(max_length=500, blank=True, help_text="What actioning it did, in plain words.")
    suspension = models.ForeignKey("recovery.Suspension", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    outcome = models.CharField(max_length=16, choices=AppealOutcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    outcome_amount_pence = models.PositiveIntegerField(null=True, blank=True,
                                                       help_text="For a reduced debt: the reduction, in pence.")
    outcome_details = models.TextField(blank=True)

    class Meta:
        verbose_name = "change of circumstances"
        verbose_name_plural = "changes of circumstances"
        indexes = [
            models.Index(fields=["la", "-received_at"], name="coc_la_received"),
            models.Index(fields=["debt", "status"], name="coc_debt_status"),
            models.Index(fields=["file", "source_row"], name="coc_file_row"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["debt", "kind"], condition=models.Q(status__in=OPEN_CHANGE),
                                    name="coc_one_open_per_debt_and_kind"),
            models.CheckConstraint(condition=models.Q(status__in=ChangeStatus.values), name="coc_status_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=ChangeKind.values), name="coc_kind_valid"),
            models.CheckConstraint(condition=models.Q(status=ChangeStatus.RECEIVED) | models.Q(
                actioned_at__isnull=False), name="coc_actioned_has_time"),
            models.CheckConstraint(condition=models.Q(kind=ChangeKind.APPEALED) | (models.Q(outcome="") & ~models.Q(
                status__in=[ChangeStatus.AWAITING_OUTCOME, ChangeStatus.CONCLUDED])),
                name="coc_only_an_appeal_awaits_an_outcome"),
            models.CheckConstraint(condition=~models.Q(status=ChangeStatus.CONCLUDED) | (
                ~models.Q(outcome="") & models.Q(outcome_at__isnull=False)), name="coc_concluded_has_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.get_kind_display()}"

    @property
    def reference(self) -> str:
        return f"COC{self.pk:07d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CHANGE


class Complaint(models.Model):
    """A customer's complaint or an MP's enquiry about an HB debt, received by a DM Contact Centre, to forward to the
    LA (SLA Appendix 1 row 8)."""

    class Kind(models.TextChoices):
        COMPLAINT = "COMPLAINT", "Customer complaint"
        MP_ENQUIRY = "MP_ENQUIRY", "MP enquiry"

    class ReceivedBy(models.TextChoices):
        LETTER = "LETTER", "Letter"
        EMAIL = "EMAIL", "E-mail"
        PHONE = "PHONE", "Telephone"
        IN_PERSON = "IN_PERSON", "In person"

    class Status(models.TextChoices):
        RECEIVED = "RECEIVED", "Waiting to be forwarded to the LA"
        FORWARDED = "FORWARDED", "Forwarded to the LA"

    TRANSITIONS = {Status.RECEIVED: frozenset({Status.FORWARDED})}

    case = models.ForeignKey("core.Case", on_delete=models.PROTECT, related_name="complaints")
    debt = models.ForeignKey("recovery.Debt", on_delete=models.PROTECT, related_name="complaints")
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="complaints")
    site = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+",
                             help_text="The DM unit that received it.")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    made_by = models.CharField(max_length=200, help_text="Who made it: the customer, or the MP and constituency.")
    received_on = models.DateField()
    channel = models.CharField(max_length=12, choices=ReceivedBy.choices)
    summary = models.TextField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(help_text="The day it must be forwarded by (COMPLAINT-FWD).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    forwarded_at = models.DateTimeField(null=True, blank=True)
    forwarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    note = models.TextField(blank=True, help_text="DM's covering note to the LA.")
    notice = models.ForeignKey("notices.Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["la", "status", "-received_on"], name="complaint_la_status")]
        constraints = [
            models.CheckConstraint(condition=models.Q(status="RECEIVED") | models.Q(forwarded_at__isnull=False),
                                   name="complaint_forwarded_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.get_kind_display()}"

    @property
    def reference(self) -> str:
        return f"CMP{self.pk:07d}"


class SoeRequest(models.Model):
    """An LA's request for the sequence of events of a debt: the case's history as a document."""

    class Status(models.TextChoices):
        REQUESTED = "REQUESTED", "Waiting for DM"
        SUPPLIED = "SUPPLIED", "Supplied"

    TRANSITIONS = {Status.REQUESTED: frozenset({Status.SUPPLIED})}

    case = models.ForeignKey("core.Case", on_delete=models.PROTECT, related_name="soe_requests")
    debt = models.ForeignKey("recovery.Debt", on_delete=models.PROTECT, related_name="soe_requests")
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="soe_requests")
    site = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+")
    complaint = models.ForeignKey(Complaint, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="soe_requests")
    reason = models.TextField(blank=True)
    requested_at = models.DateTimeField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(help_text="The day DM must supply it by (SOE).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    supplied_at = models.DateTimeField(null=True, blank=True)
    supplied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    document = models.FileField(upload_to="soe/%Y/%m/", blank=True,
                                help_text="The PDF as supplied: fixed, so it reads the same every time.")
    notice = models.ForeignKey("notices.Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = "sequence of events request"
        indexes = [models.Index(fields=["la", "-requested_at"], name="soe_la_requested")]
        constraints = [
            models.UniqueConstraint(fields=["debt"], condition=models.Q(status="REQUESTED"),
                                    name="soe_one_open_request_per_debt"),
            models.CheckConstraint(condition=models.Q(status="REQUESTED") | (
                models.Q(supplied_at__isnull=False) & ~models.Q(document="")), name="soe_supplied_has_document"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"SOE{self.pk:07d}"


class WorkItem(models.Model):
    """One piece of casework waiting in a DM unit's work queue, with the day it is due on DM's calendar."""

    class Kind(models.TextChoices):
        CHANGE = "CHANGE", "Change of circumstances"
        COMPLAINT = "COMPLAINT", "Complaint or MP enquiry to forward"
        SOE = "SOE", "Sequence of events to supply"

    class State(models.TextChoices):
        OPEN = "OPEN", "Waiting"
        DONE = "DONE", "Done"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    standard = models.CharField(max_length=16, help_text="The service standard whose clock it runs on.")
    site = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="work_items")
    case = models.ForeignKey("core.Case", on_delete=models.PROTECT, related_name="work_items")
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+")
    debt = models.ForeignKey("recovery.Debt", on_delete=models.PROTECT, related_name="work_items")
    received_at = models.DateTimeField()
    due_on = models.DateField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    change = models.OneToOneField(ChangeOfCircumstances, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="work_item")
    complaint = models.OneToOneField(Complaint, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="work_item")
    soe_request = models.OneToOneField(SoeRequest, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="work_item")

    class Meta:
        indexes = [
            models.Index(fields=["site", "state", "due_on"], name="work_site_state_due"),
            models.Index(fields=["assigned_to", "state"], name="work_assignee_state"),
        ]
        constraints = [
            models.CheckConstraint(name="work_item_is_one_thing", condition=(
                models.Q(kind="CHANGE", change__isnull=False, complaint__isnull=True, soe_request__isnull=True)
                | models.Q(kind="COMPLAINT", change__isnull=True, complaint__isnull=False, soe_request__isnull=True)
                | models.Q(kind="SOE", change__isnull=True, complaint__isnull=True, soe_request__isnull=False))),
            models.CheckConstraint(name="work_item_done_has_time", condition=(
                models.Q(state="OPEN", done_at__isnull=True) | models.Q(state="DONE", done_at__isnull=False))),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_on}"

    @property
    def subject(self):
        return self.change or self.complaint or self.soe_request

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        if self.change_id:
            return reverse("casework:change_detail", args=[self.change_id])
        if self.complaint_id:
            return reverse("casework:complaint_detail", args=[self.complaint_id])
        return reverse("casework:soe_detail", args=[self.soe_request_id])


class ChangeFile(BulkFile):
    """A bulk CSV file of changes of circumstances from an LA, processed in chunks that each commit on their own."""

    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="change_files")
    file = models.FileField(upload_to="change-files/%Y/%m/")

    class Meta:
        indexes = [models.Index(fields=["la", "-created_at"], name="changefile_la_created")]


class ChangeFileRow(models.Model):
    """The outcome of one row of a change file: accepted (with the change it made) or refused (with its faults)."""

    class Outcome(models.TextChoices):
        ACCEPTED = "ACCEPTED", "Accepted"
        REFUSED = "REFUSED", "Refused"

    file = models.ForeignKey(ChangeFile, on_delete=models.PROTECT, related_name="rows")
    row_number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    la_reference = models.CharField(max_length=40, blank=True)
    change = models.ForeignKey(ChangeOfCircumstances, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+")
    faults = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "row_number"], name="changefilerow_once"),
            models.CheckConstraint(name="changefilerow_accepted_has_change", condition=(
                models.Q(outcome="ACCEPTED", change__isnull=False) | models.Q(outcome="REFUSED", change__isnull=True))),
        ]
