"""Partnership working between the parties: who to contact, the shared issues log (QIIC), the agreement itself,
governance meetings and engagement rounds (DOMAIN §9).

Nothing here is deleted by the service layer: contacts are retired, actions cancelled, notices withdrawn, so what
was recorded stays on the record. Every change is written through `governance.services`, which adds a
`HistoryEntry` in the same transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from liaison.governance import dates

USER = settings.AUTH_USER_MODEL
ORG = "partners.Organisation"


class Side(models.TextChoices):
    A = "A", "Side A"
    B = "B", "Side B"


def other_side(side: str) -> str:
    return Side.B if side == Side.A else Side.A


# --- The history ------------------------------------------------------------------------------------------

class HistoryEntry(models.Model):
    """One change to a governance record: what happened, when, who did it and for which organisation.

    Immutable: written once by a service, in the same transaction as the change it records.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    actor = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "history entries"
        indexes = [models.Index(fields=["content_type", "object_id", "occurred_at"], name="gov_history_subject")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.kind}"


# --- 1. The directory of nominated officers and SPoCs ----------------------------------------------------

class Duty(models.TextChoices):
    """What a contact is named for [SLA A3, SLA 16, MoU 5]."""

    SPOC = "SPOC", "Single point of contact (SPoC)"
    REFERRAL_MANAGER = "REFERRAL_MANAGER", "Referral manager"
    SLA_LIAISON = "SLA_LIAISON", "SLA liaison officer"
    CASE_ENQUIRIES = "CASE_ENQUIRIES", "Individual case enquiries"
    COMPLAINTS = "COMPLAINTS", "Complaints"
    AUTHORISED_OFFICER = "AUTHORISED_OFFICER", "Authorised officer"


def duty_phrase(duty: str) -> str:
    """The duty as it reads mid-sentence: "SLA liaison officer", "single point of contact (SPoC)"."""
    label = Duty(duty).label
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


class Contact(models.Model):
    """A person an organisation names for a duty: the named contact, or one of its alternates."""

    class Position(models.TextChoices):
        LEAD = "LEAD", "Named contact"
        ALTERNATE = "ALTERNATE", "Alternate"

    organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="governance_contacts")
    duty = models.CharField(max_length=20, choices=Duty.choices)
    position = models.CharField(max_length=10, choices=Position.choices, default=Position.LEAD)
    rank = models.PositiveSmallIntegerField(default=1, help_text="Order among the alternates: 1 is asked first.")
    name = models.CharField(max_length=120)
    job_title = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    user = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             help_text="The Liaison user this contact is, if any: issues routed here are theirs.")
    last_checked_on = models.DateField(help_text="When the entry was last confirmed as current.")
    last_checked_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["organisation__name", "duty", "position", "rank", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "duty"], condition=Q(position="LEAD", active=True),
                                    name="gov_contact_one_lead_per_duty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_duty_display()}, {self.organisation})"

    @property
    def duty_phrase(self) -> str:
        return duty_phrase(self.duty)

    @property
    def review_due_on(self):
        return dates.review_due(self.last_checked_on)

    def review_overdue(self, today) -> bool:
        return today >= self.review_due_on


class Absence(models.Model):
    """A planned absence of a contact, with the delegate they named, if any [MoU 5.3]."""

    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="absences")
    starts_on = models.DateField()
    ends_on = models.DateField(help_text="The last day away.")
    delegate_name = models.CharField(max_length=120, blank=True)
    delegate_email = models.EmailField(blank=True)
    delegate_phone = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="gov_absence_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.contact.name} away {self.starts_on} to {self.ends_on}"

    def covers(self, day) -> bool:
        return self.cancelled_at is None and self.starts_on <= day <= self.ends_on


# --- 2. The shared issues log (QIIC) ----------------------------------------------------------------------

class Level(models.IntegerChoices):
    """The escalation ladder: resolve at the lowest practicable level [SLA 13.2, A3 3.3, JSOG]."""

    CONTACT_AGENT = 1, "Contact agent"
    LIAISON_OFFICER = 2, "Nominated liaison officer"
    NATIONAL = 3, "National level"
    JOINT_GROUP = 4, "Joint senior group"


class IssueCategory(models.Model):
    """A category of issue and its escalation route: data, loaded by `liaison load-governance-data`."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=400, blank=True)
    source = models.CharField(max_length=120, blank=True, help_text="Where the route comes from, e.g. SLA A3 3.3.")
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "issue categories"

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """Who deals with an entry of a category at a level: a duty, at the party it concerns.

    When the party concerned is DWP Debt Management, `dm_unit` says which of its units holds the duty (the CCG
    site named on the LA's notices for contact agents; CC Porth for the SLA liaison officer; headquarters for the
    authorised officer). At the joint senior group level the entry goes to the group named by `group_code`.
    """

    category = models.ForeignKey(IssueCategory, on_delete=models.CASCADE, related_name="steps")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    duty = models.CharField(max_length=20, choices=Duty.choices, blank=True)
    dm_unit = models.CharField(max_length=16, blank=True, help_text="CCG_SITE, CC_PORTH, FCG or DM_HQ")
    group_code = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["category", "level"]
        constraints = [models.UniqueConstraint(fields=["category", "level"], name="gov_step_one_per_level")]

    def __str__(self) -> str:
        return f"{self.category.code} level {self.level}: {self.get_duty_display() or self.group_code}"


class Issue(models.Model):
    """An entry in the shared issues log: a Question, Idea, Issue or Concern [SLA A1.1, REVIEW 4.6]."""

    class Kind(models.TextChoices):
        QUESTION = "QUESTION", "Question"
        IDEA = "IDEA", "Idea"
        ISSUE = "ISSUE", "Issue"
        CONCERN = "CONCERN", "Concern"

    class Status(models.TextChoices):
        OPEN = "OPEN", "Open"
        IN_PROGRESS = "IN_PROGRESS", "In progress"
        RESOLVED = "RESOLVED", "Resolved"
        CLOSED = "CLOSED", "Closed"
        WITHDRAWN = "WITHDRAWN", "Withdrawn"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    category = models.ForeignKey(IssueCategory, on_delete=models.PROTECT, related_name="issues")
    title = models.CharField(max_length=200)
    description = models.TextField()
    raised_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    raised_by_org = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField()
    concerns = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="+",
                                 help_text="The party the entry concerns.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.CONTACT_AGENT)
    routed_to_org = models.ForeignKey(ORG, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    routed_to_duty = models.CharField(max_length=20, choices=Duty.choices, blank=True)
    routed_to_name = models.CharField(max_length=120, blank=True)
    routed_to_email = models.EmailField(blank=True)
    routed_to_basis = models.CharField(max_length=300, blank=True)
    group = models.ForeignKey("Group", on_delete=models.PROTECT, null=True, blank=True, related_name="issues",
                              help_text="At the joint senior group level: the group it is referred to.")
    owner = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cases = models.ManyToManyField("core.Case", blank=True, related_name="+")
    resolution = models.TextField(blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["status", "-raised_at"], name="gov_issue_status")]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def reference(self) -> str:
        return f"Q{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.IN_PROGRESS)


def evidence_path(instance, filename):
    from pathlib import Path

    from django.utils import timezone

    now = timezone.now()
    return f"governance/evidence/{now:%Y/%m}/{Path(filename).name[:80]}"


class Evidence(models.Model):
    """A file on an issues-log entry. Downloadable only by the parties to the entry."""

    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.original_name


class Action(models.Model):
    """Something someone will do by a date: on an issues-log entry, or from a meeting's minutes."""

    class Status(models.TextChoices):
        OPEN = "OPEN", "Open"
        DONE = "DONE", "Done"
        CANCELLED = "CANCELLED", "Cancelled"

    issue = models.ForeignKey(Issue, on_delete=models.PROTECT, null=True, blank=True, related_name="actions")
    meeting = models.ForeignKey("Meeting", on_delete=models.PROTECT, null=True, blank=True, related_name="actions")
    description = models.CharField(max_length=400)
    owner_name = models.CharField(max_length=120)
    owner_email = models.EmailField(blank=True)
    owner_organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    completion_note = models.CharField(max_length=400, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.CheckConstraint(
            condition=(Q(issue__isnull=False, meeting__isnull=True) | Q(issue__isnull=True, meeting__isnull=False)),
            name="gov_action_on_issue_or_meeting")]

    def __str__(self) -> str:
        return self.description

    @property
    def reference(self) -> str:
        return f"A{self.pk:06d}"

    def is_overdue(self, today) -> bool:
        return self.status == self.Status.OPEN and self.due_on < today


# --- 3. The agreement -------------------------------------------------------------------------------------

class Agreement(models.Model):
    """An agreement between two parties: its term, versions, variations and formal notices [SLA 4-6, 14]."""

    class Kind(models.TextChoices):
        SLA = "SLA", "Service Level Agreement"
        MOU = "MOU", "Memorandum of Understanding"
        OTHER = "OTHER", "Other agreement"

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", "In force"
        ENDED = "ENDED", "Ended"

    reference = models.CharField(max_length=40, unique=True)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.SLA)
    party_a = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="+")
    party_b = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    term_years = models.PositiveSmallIntegerField(default=3)
    expires_on = models.DateField(help_text="The last day of the term (extended when the parties agree).")
    extension_talks_started_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.ACTIVE)
    ended_on = models.DateField(null=True, blank=True)
    ended_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(condition=~Q(party_a=models.F("party_b")), name="gov_agreement_two_parties"),
            models.CheckConstraint(condition=Q(expires_on__gt=models.F("starts_on")), name="gov_agreement_term"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def extension_talks_from(self):
        return dates.extension_talks_from(self.expires_on)

    def side_of(self, organisation_id) -> str | None:
        if organisation_id == self.party_a_id:
            return Side.A
        if organisation_id == self.party_b_id:
            return Side.B
        return None

    def party(self, side: str):
        return self.party_a if side == Side.A else self.party_b


def agreement_document_path(instance, filename):
    from pathlib import Path

    return f"governance/agreements/{instance.agreement_id}/{Path(filename).name[:80]}"


class AgreementVersion(models.Model):
    """One issue of the agreement: its document history [SLA: Version Control]."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="versions")
    sequence = models.PositiveSmallIntegerField()
    number = models.CharField(max_length=10)
    issued_on = models.DateField()
    reason = models.CharField(max_length=300)
    document = models.FileField(upload_to=agreement_document_path, blank=True, max_length=200)
    document_name = models.CharField(max_length=200, blank=True)
    issued_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["agreement", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "sequence"], name="gov_version_sequence"),
            models.UniqueConstraint(fields=["agreement", "number"], name="gov_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement.reference} v{self.number}"


class Variation(models.Model):
    """A change requested by either party, agreed by both, documented as an appendix and incorporated into the
    next version [SLA 6, 11.2-11.3]."""

    class Status(models.TextChoices):
        REQUESTED = "REQUESTED", "Requested"
        AGREED = "AGREED", "Agreed by both parties"
        DECLINED = "DECLINED", "Declined"
        WITHDRAWN = "WITHDRAWN", "Withdrawn"
        INCORPORATED = "INCORPORATED", "Incorporated"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="variations")
    title = models.CharField(max_length=200)
    description = models.TextField(help_text="The change, as it will read in the appendix.")
    reason = models.CharField(max_length=400, blank=True)
    requested_by_side = models.CharField(max_length=1, choices=Side.choices)
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    agreed_a_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    agreed_a_at = models.DateTimeField(null=True, blank=True)
    agreed_b_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    agreed_b_at = models.DateTimeField(null=True, blank=True)
    appendix = models.CharField(max_length=20, blank=True, help_text="Given when both parties have agreed.")
    incorporated_in = models.ForeignKey(AgreementVersion, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="variations")
    closed_reason = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["agreement", "requested_at", "id"]

    def __str__(self) -> str:
        return self.title

    def agreed_by_side(self, side: str) -> bool:
        return (self.agreed_a_at if side == Side.A else self.agreed_b_at) is not None


class AgreementNotice(models.Model):
    """A formal notice one party serves on the other: of default (30 days to remedy, SLA 14.2) or of termination
    (effective 90 days after service, SLA 14.3-14.4)."""

    class Kind(models.TextChoices):
        DEFAULT = "DEFAULT", "Notice of default"
        TERMINATION = "TERMINATION", "Notice of termination"

    class Grounds(models.TextChoices):
        DEFAULT = "DEFAULT", "Default not remedied within 30 days (SLA 14.2-14.3)"
        OTHER = "OTHER", "Operational or any other reasons (SLA 14.4)"

    class Status(models.TextChoices):
        SERVED = "SERVED", "Served"
        REMEDIED = "REMEDIED", "Remedied"
        WITHDRAWN = "WITHDRAWN", "Withdrawn"
        EFFECTIVE = "EFFECTIVE", "Took effect"

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    grounds = models.CharField(max_length=8, choices=Grounds.choices, blank=True)
    default_notice = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                       help_text="For a termination on default: the notice of default it follows.")
    served_by_side = models.CharField(max_length=1, choices=Side.choices)
    served_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    served_on = models.DateField()
    deadline = models.DateField(help_text="Default: remedy by. Termination: takes effect on.")
    details = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SERVED)
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    close_note = models.CharField(max_length=400, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["agreement", "served_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(deadline__gt=models.F("served_on")),
                                              name="gov_notice_deadline_after_service")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} served {self.served_on}"

    @property
    def reference(self) -> str:
        return f"{'D' if self.kind == self.Kind.DEFAULT else 'T'}N{self.pk:05d}"


# --- 4. Governance meetings -------------------------------------------------------------------------------

class Group(models.Model):
    """A governance group (the Joint Senior Officials Group, an LA liaison meeting, a sub-group) with two sides."""

    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=40, unique=True)
    purpose = models.TextField(blank=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="subgroups")
    side_a_org = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="+")
    side_b_org = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="+")
    meets_every_months = models.PositiveSmallIntegerField(default=3, help_text="At least quarterly [JSOG].")
    secretariat_email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        constraints = [models.CheckConstraint(condition=~Q(side_a_org=models.F("side_b_org")),
                                              name="gov_group_two_sides")]

    def __str__(self) -> str:
        return self.name

    def side_org(self, side: str):
        return self.side_a_org if side == Side.A else self.side_b_org


class GroupMember(models.Model):
    """A member of a group, on one side, with the deputy who may attend in their place [JSOG]."""

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="members")
    side = models.CharField(max_length=1, choices=Side.choices)
    organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    job_title = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    deputy_name = models.CharField(max_length=120, blank=True)
    deputy_email = models.EmailField(blank=True)
    can_chair = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["group", "side", "-can_chair", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.group})"


class Meeting(models.Model):
    """A meeting of a group; its minutes are drafted by the chair's side, cleared by both and circulated within
    one week [JSOG]."""

    class Status(models.TextChoices):
        SCHEDULED = "SCHEDULED", "Scheduled"
        HELD = "HELD", "Held"
        CANCELLED = "CANCELLED", "Cancelled"

    class MinutesStatus(models.TextChoices):
        NONE = "NONE", "Not drafted"
        DRAFT = "DRAFT", "Draft"
        CLEARED = "CLEARED", "Cleared by both sides"
        CIRCULATED = "CIRCULATED", "Circulated"

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField()
    location = models.CharField(max_length=120, blank=True)
    chair_side = models.CharField(max_length=1, choices=Side.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    cancelled_reason = models.CharField(max_length=300, blank=True)
    minutes_status = models.CharField(max_length=10, choices=MinutesStatus.choices, default=MinutesStatus.NONE)
    minutes_text = models.TextField(blank=True)
    minutes_drafted_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    minutes_drafted_at = models.DateTimeField(null=True, blank=True)
    cleared_a_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cleared_a_at = models.DateTimeField(null=True, blank=True)
    cleared_b_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    cleared_b_at = models.DateTimeField(null=True, blank=True)
    circulated_at = models.DateTimeField(null=True, blank=True)
    circulated_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["group", "-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.group.name}, {self.held_on.day} {self.held_on:%B %Y}"

    @property
    def minutes_due_on(self):
        return dates.minutes_due(self.held_on)

    def cleared_by_side(self, side: str) -> bool:
        return (self.cleared_a_at if side == Side.A else self.cleared_b_at) is not None


class Milestone(models.Model):
    """A milestone of a group's programme, reviewed at each meeting [JSOG]."""

    class Status(models.TextChoices):
        NOT_STARTED = "NOT_STARTED", "Not started"
        ON_TRACK = "ON_TRACK", "On track"
        AT_RISK = "AT_RISK", "Expected to slip"
        COMPLETE = "COMPLETE", "Complete"

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="milestones")
    title = models.CharField(max_length=200)
    owner_name = models.CharField(max_length=120)
    owner_email = models.EmailField(blank=True)
    owner_organisation = models.ForeignKey(ORG, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    due_on = models.DateField()
    forecast_on = models.DateField(null=True, blank=True, help_text="When it is now expected, if later.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    completed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["group", "due_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def expected_on(self):
        return self.forecast_on or self.due_on

    def is_overdue(self, today) -> bool:
        return self.status != self.Status.COMPLETE and self.due_on < today


class ExceptionReport(models.Model):
    """Required whenever a milestone is expected to slip [JSOG: an interim exception report]."""

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="exception_reports")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.TextField()
    impact = models.TextField()
    mitigation = models.TextField()
    revised_due_on = models.DateField()
    reported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()

    class Meta:
        ordering = ["milestone", "reported_at", "id"]

    def __str__(self) -> str:
        return f"Exception report on {self.milestone}"


class MilestoneReview(models.Model):
    """A milestone's status as reviewed at a meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="reviews")
    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(max_length=12, choices=Milestone.Status.choices)
    note = models.CharField(max_length=400, blank=True)
    reviewed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "milestone"], name="gov_review_once_per_meeting")]


# --- 5. Engagement rounds ---------------------------------------------------------------------------------

class EngagementRound(models.Model):
    """A round of structured input from people with experience of social security and stakeholders [CHARTER]."""

    class Status(models.TextChoices):
        OPEN = "OPEN", "Open for responses"
        CLOSED = "CLOSED", "Closed"
        PUBLISHED = "PUBLISHED", "Summary published"

    title = models.CharField(max_length=200)
    purpose = models.TextField()
    organiser_org = models.ForeignKey(ORG, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    closes_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    summary_text = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class EngagementQuestion(models.Model):
    round = models.ForeignKey(EngagementRound, on_delete=models.PROTECT, related_name="questions")
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=500)

    class Meta:
        ordering = ["round", "position"]
        constraints = [models.UniqueConstraint(fields=["round", "position"], name="gov_question_position")]

    def __str__(self) -> str:
        return self.text


class Participant(models.Model):
    """Someone invited to a round. Their name and e-mail are seen only by the organiser; the published summary
    calls them by number and kind ("Participant 3, a person with experience of social security")."""

    class Kind(models.TextChoices):
        LIVED_EXPERIENCE = "LIVED_EXPERIENCE", "Person with experience of social security"
        STAKEHOLDER = "STAKEHOLDER", "Stakeholder organisation"

    round = models.ForeignKey(EngagementRound, on_delete=models.PROTECT, related_name="participants")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=120)
    email = models.EmailField()
    organisation_name = models.CharField(max_length=200, blank=True)
    token_digest = models.CharField(max_length=64, unique=True)
    invited_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "number"]
        constraints = [models.UniqueConstraint(fields=["round", "number"], name="gov_participant_number"),
                       models.UniqueConstraint(fields=["round", "email"], name="gov_participant_once")]

    def __str__(self) -> str:
        return self.pseudonym

    @property
    def pseudonym(self) -> str:
        return f"Participant {self.number}"


class Theme(models.Model):
    round = models.ForeignKey(EngagementRound, on_delete=models.PROTECT, related_name="themes")
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["round", "name"]
        constraints = [models.UniqueConstraint(fields=["round", "name"], name="gov_theme_once")]

    def __str__(self) -> str:
        return self.name


class EngagementResponse(models.Model):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="responses")
    question = models.ForeignKey(EngagementQuestion, on_delete=models.PROTECT, related_name="responses")
    answer = models.TextField()
    submitted_at = models.DateTimeField()
    themes = models.ManyToManyField(Theme, blank=True, related_name="responses")

    class Meta:
        ordering = ["question__position", "participant__number"]
        constraints = [models.UniqueConstraint(fields=["participant", "question"], name="gov_response_once")]


# --- 6. Reminders -----------------------------------------------------------------------------------------

class SentReminder(models.Model):
    """A reminder e-mailed (through the outbox): at most one per reminder per day, however often the job runs."""

    key = models.CharField(max_length=200)
    sent_on = models.DateField()
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    outbox = models.ForeignKey("notices.OutboxMessage", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "sent_on"], name="gov_reminder_once_a_day")]

    def __str__(self) -> str:
        return f"{self.key} on {self.sent_on}"
