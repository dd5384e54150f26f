"""Service standards as data, the working-day calendar, and the measurements computed from the timeline.

`sla` reads the timeline (core.Event), never another app's tables (partners excepted: organisations, nations,
people), so a new standard is a record plus the event kinds it reads.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from liaison.partners.models import Nation


class Standard(models.Model):
    """One service standard of the agreement (DOMAIN §8, SLA Appendices 1 and 2): what starts and stops its clock,
    whose calendar runs it, who is responsible, and (in its provisions) its limit and where that comes from."""

    class Subject(models.TextChoices):
        CASE_ONCE = "CASE_ONCE", "Once per case: the first start event on the case"
        EACH_EVENT = "EACH_EVENT", "Each start event: the n-th stop answers the n-th start on the case"
        LA_MONTH = "LA_MONTH", "Each LA and month (events without a case, matched on the month)"

    class Unit(models.TextChoices):
        WORKING_DAYS = "WORKING_DAYS", "Working days"
        END_OF_NEXT_MONTH = "END_OF_NEXT_MONTH", "By the end of the next month"
        SHARE = "SHARE", "Share that pass (per cent)"

    class Calendar(models.TextChoices):
        DM = "DM", "DM's calendar (England and Wales)"
        LA = "LA", "The LA's nation"

    class Responsible(models.TextChoices):
        CC_PORTH = "CC_PORTH", "CC Porth"
        CCG_SITE = "CCG_SITE", "The CCG site that owns the case"
        FCG = "FCG", "Finance Control Group"
        LA = "LA", "The Local Authority"

    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    unit = models.CharField(max_length=20, choices=Unit.choices, default=Unit.WORKING_DAYS)
    calendar = models.CharField(max_length=2, choices=Calendar.choices, default=Calendar.DM)
    responsible = models.CharField(max_length=10, choices=Responsible.choices)
    subject = models.CharField(max_length=12, choices=Subject.choices, default=Subject.CASE_ONCE)
    start_kinds = models.JSONField(default=list, help_text="Event kinds that start the clock.")
    start_anchor = models.JSONField(default=dict, blank=True, help_text=(
        'When the clock starts on one of these kinds, it runs from the first event of the mapped kind on the case '
        'instead: {"referral.returned": "referral.received"}.'))
    start_date_key = models.CharField(max_length=40, blank=True, help_text=(
        "A key in the start event's data holding the date the clock started (YYYY-MM-DD), when that is not the "
        "day the event happened (COC-NOTIFY: la_told_on)."))
    stop_kinds = models.JSONField(default=list, blank=True, help_text="Event kinds that stop the clock.")
    stop_filter = models.JSONField(default=dict, blank=True, help_text=(
        'Only stop events whose data match: {"notice.issued": {"code": ["HBPIF", "LARET"]}}.'))
    stop_is_start = models.BooleanField(default=False, help_text=(
        "The start event itself stops the clock (COC-NOTIFY: the form's arrival at DM stops the LA's clock)."))
    stop_date_key = models.CharField(max_length=40, blank=True, help_text=(
        "A key in the stop event's data holding the day it stopped (PAY: paid_on)."))
    pair_key = models.CharField(max_length=40, blank=True, help_text=(
        "For each-event standards: a data key start and stop events share (COC-ACTION: coc_id), so a stop answers "
        "its own start; without one the n-th stop on the case answers the n-th start."))
    match_key = models.CharField(max_length=40, blank=True, help_text=(
        "For LA and month standards: the data key (holding a month, YYYY-MM-DD) start and stop events share."))
    fail_kinds = models.JSONField(default=list, blank=True, help_text=(
        "For shares: the stop kinds that count as not passing (REF-QUALITY: returned as non-quality)."))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"

    @property
    def is_clock(self) -> bool:
        return self.unit != self.Unit.SHARE

    @property
    def takes_local_targets(self) -> bool:
        return self.unit in (self.Unit.WORKING_DAYS, self.Unit.SHARE)

    def all_kinds(self) -> set[str]:
        return set(self.start_kinds) | set(self.stop_kinds) | set(self.start_anchor.values())


class Provision(models.Model):
    """Where a standard's national limit comes from: an agreement version and its appendix. A standard may have
    more than one (COMPLAINT-FWD: Appendix 1 says 7 working days, Appendix 2 says 3); the strictest in force
    applies (DOMAIN D2)."""

    standard = models.ForeignKey(Standard, on_delete=models.CASCADE, related_name="provisions")
    agreement = models.CharField(max_length=100, help_text="The agreement version, e.g. 'SLA 2014 (1 April 2014)'.")
    source = models.CharField(max_length=300, help_text="Where in the agreement: appendix, row, wording.")
    limit = models.PositiveIntegerField(null=True, blank=True, help_text=(
        "Working days (WORKING_DAYS), or the share in per cent (SHARE); empty for a calendar rule (PAY)."))
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["standard__position", "effective_from", "limit"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "agreement", "source"], name="sla_provision_unique"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                                   name="sla_provision_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.standard.code} {self.limit}: {self.source}"


class LocalTarget(models.Model):
    """A target DM and one LA agreed locally. It can only be stricter than the national minimum (SLA Appendix 2:
    deviations "can only be in excess of those given and must be documented and agreed by both DM and the LA")."""

    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="local_targets")
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="sla_local_targets")
    limit = models.PositiveIntegerField(help_text="Working days, or the share in per cent for REF-QUALITY.")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    agreed_on = models.DateField()
    la_contact = models.CharField(max_length=200, help_text="Who agreed it for the LA.")
    reference = models.CharField(max_length=300, help_text="Where the agreement is documented (e.g. POG minutes).")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["la__name", "standard__position", "effective_from"]
        indexes = [models.Index(fields=["standard", "la", "effective_from"], name="sla_target_lookup")]
        constraints = [
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                                   name="sla_target_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.la} {self.standard.code} {self.limit}"


class WorkingDay(models.Model):
    """The working-day calendar of one nation, from GOV.UK's feed (core.calendar): `ordinal` counts the working
    days up to and including `day`, so the working days between two dates is a subtraction and a due date is a
    lookup."""

    nation = models.CharField(max_length=3, choices=Nation.choices)
    day = models.DateField()
    is_working = models.BooleanField()
    ordinal = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["nation", "day"], name="sla_workingday_day"),
            models.UniqueConstraint(fields=["nation", "ordinal"], condition=Q(is_working=True),
                                    name="sla_workingday_ordinal"),
        ]
        # Due dates are an equality lookup on (nation, ordinal, is_working): a plain index every database uses.
        indexes = [models.Index(fields=["nation", "ordinal", "is_working"], name="sla_workingday_lookup")]

    def __str__(self) -> str:
        return f"{self.nation} {self.day} #{self.ordinal}{'' if self.is_working else ' (not working)'}"


class Measurement(models.Model):
    """One item measured against a standard, computed set-based from the timeline (never edited by hand).

    The key is (standard, start event): the event that opened the item. Dates are London dates. Whether the item
    is met, breached, open or at risk depends on the day you ask (`as_of`), so it is worked out when asked.
    """

    standard = models.ForeignKey(Standard, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    start_event_id = models.BigIntegerField()
    stop_event_id = models.BigIntegerField(null=True)
    case_id = models.BigIntegerField(null=True)
    la = models.ForeignKey("partners.Organisation", on_delete=models.DO_NOTHING, db_constraint=False,
                           related_name="+")
    site = models.ForeignKey("partners.Organisation", on_delete=models.DO_NOTHING, db_constraint=False, null=True,
                             related_name="+", help_text="The responsible DM unit; empty when the LA is responsible.")
    calendar = models.CharField(max_length=3, help_text="The nation whose working days run the clock.")
    month = models.DateField(help_text="The first day of the month the clock started in (PAY: the month recovered).")
    started_at = models.DateTimeField(null=True)
    start_on = models.DateField()
    stopped_at = models.DateTimeField(null=True)
    stop_on = models.DateField(null=True)
    limit = models.PositiveIntegerField(null=True, help_text="The limit that applied (working days or per cent).")
    local_target = models.BooleanField(default=False, help_text="A local target (stricter) applied.")
    due_on = models.DateField(null=True)
    working_days = models.IntegerField(null=True, help_text="Working days from start to stop.")
    failed = models.BooleanField(default=False, help_text="For shares: the item did not pass.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["standard", "start_event_id"], name="sla_measurement_key")]
        indexes = [
            # Periods are whole months: the dashboards and lists select by `month` (DM: every LA; an LA: its own).
            models.Index(fields=["month", "start_on"], name="sla_m_month"),
            models.Index(fields=["la", "month"], name="sla_m_la_month"),
            # What the summary does not hold: items still open, or stopped in the month asked about.
            models.Index(fields=["stop_on", "month"], name="sla_m_stop_month"),
            # The items behind a figure, in the order their clocks started.
            models.Index(fields=["standard", "start_on", "id"], name="sla_m_standard_start"),
            models.Index(fields=["case_id"], name="sla_m_case"),
            # The teams' queues: what is still open, by due date.
            models.Index(fields=["site", "due_on"], name="sla_m_site_open", condition=Q(stop_on__isnull=True)),
            models.Index(fields=["la", "due_on"], name="sla_m_la_open", condition=Q(stop_on__isnull=True)),
            models.Index(fields=["due_on"], name="sla_m_due"),
        ]

    def __str__(self) -> str:
        return f"{self.standard_id} {self.start_event_id}"

    @property
    def case_reference(self) -> str:
        return f"C{self.case_id:07d}" if self.case_id else ""


class Summary(models.Model):
    """The measurements that have stopped, counted per standard, LA, responsible unit, month started, month
    stopped and working days taken: kept in step with the measurements by each refresh, in the same transaction
    (an incremental refresh adds the counts of the items it computed and takes away those of the items it
    replaced).

    An item that stopped before the month of the day asked about is met or breached whatever that day is, so the
    dashboards read these counts for them (a few hundred thousand rows for every LA over a year, instead of
    millions of items) and read the items themselves only for what is still open or stopped this month.
    Keys are never NULL, so that a key is unique: `site_key` 0 means the LA is responsible; `days` -1 means the
    standard is not a clock (a share). Rows with `la_id` 0 are the totals for every LA (the DM dashboard reads a
    few thousand rows for a year).
    """

    standard = models.ForeignKey(Standard, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    la_id = models.BigIntegerField()
    site_key = models.BigIntegerField()
    month = models.DateField()
    stop_month = models.DateField()
    days = models.IntegerField()
    items = models.IntegerField()
    met = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["standard", "la_id", "site_key", "month", "stop_month", "days"],
                                               name="sla_summary_key")]
        indexes = [
            models.Index(fields=["month"], name="sla_s_month",
                         include=["standard", "site_key", "stop_month", "days", "items", "met"]),
            models.Index(fields=["la_id", "month"], name="sla_s_la_month"),
            models.Index(fields=["standard"], condition=Q(items=0), name="sla_s_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.standard_id} {self.la_id} {self.month} {self.items}"


class RefreshRun(models.Model):
    """One refresh of the measurements: how far into the timeline it read (the watermark), and as of which day."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    as_of = models.DateField()
    cutoff = models.DateTimeField(help_text="Events that happened before this were read (the end of as_of, London).")
    max_event_id = models.BigIntegerField()
    since_event_id = models.BigIntegerField(null=True)
    full = models.BooleanField(default=False)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"refresh {self.pk} as of {self.as_of} to event {self.max_event_id}"


class Breach(models.Model):
    """A breach raised once to the responsible party (and the reason for it, when recorded).

    Keyed like its measurement (standard, start event), so a recomputed measurement keeps its breach.
    """

    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="+")
    start_event_id = models.BigIntegerField()
    case_id = models.BigIntegerField(null=True)
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, null=True, related_name="+")
    due_on = models.DateField(null=True)
    detected_on = models.DateField()
    raised_at = models.DateTimeField(null=True, help_text="When it was raised to the contact; empty when a reason "
                                                          "was recorded for an older breach never raised.")
    raised_to = models.CharField(max_length=500, blank=True)
    message = models.ForeignKey("notices.OutboxMessage", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    issues_log_reference = models.CharField(max_length=100, blank=True, help_text="The shared issues log entry.")
    reason = models.TextField(blank=True)
    reason_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    reason_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["standard", "start_event_id"], name="sla_breach_key")]
        indexes = [models.Index(fields=["la", "due_on"], name="sla_breach_la_due")]

    def __str__(self) -> str:
        return f"Breach of {self.standard_id} ({self.start_event_id})"
