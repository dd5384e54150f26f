"""A case and its timeline: the one source the audit trail, the sequence of events and the SLA clocks read."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone


class Case(models.Model):
    """One piece of work between an LA and DM (a referred debt and everything that follows it).

    The case is the anchor other apps hang their records on, so a second referral scheme can reuse the
    timeline, clocks and notices without a rewrite.
    """

    class Scheme(models.TextChoices):
        HB_OVERPAYMENT = "hb-overpayment", "Housing Benefit overpayment recovery"

    scheme = models.CharField(max_length=32, choices=Scheme.choices, default=Scheme.HB_OVERPAYMENT)
    # Checked per statement, not per row (migration 0004, ADR 0013)
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="cases",
                           db_constraint=False, db_index=False)  # case_la_opened leads with it
    opened_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["la", "-opened_at"], name="case_la_opened")]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"C{self.pk:07d}"


class Event(models.Model):
    """An immutable step on a case's timeline: what happened, when, who did it and for which organisation."""

    # The references are checked by the database once per statement, not per row (migration 0003, ADR 0013):
    # hence db_constraint=False; PROTECT still guards deletes through the ORM, and triggers below it.
    # No index of their own: event_case_time and event_la_kind_time lead with them (migration 0005).
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", null=True, blank=True,
                             db_constraint=False, db_index=False)
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+", null=True,
                           db_constraint=False, db_index=False)
    kind = models.CharField(max_length=64)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", db_constraint=False, db_index=False)  # event_actor: partial
    # Not indexed: nothing looks events up by it, and an organisation (reference data) is never deleted; the
    # guard that refuses such a delete may scan (migration 0007).
    actor_organisation = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="+", db_constraint=False, db_index=False)
    summary = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["case", "occurred_at"], name="event_case_time"),
            models.Index(fields=["kind", "occurred_at"], name="event_kind_time"),
            models.Index(fields=["la", "kind", "occurred_at"], name="event_la_kind_time"),
            # Most events have no actor (the system acted): only those that have one are indexed.
            models.Index(fields=["actor"], name="event_actor", condition=models.Q(actor__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.kind}"


class BulkFile(models.Model):
    """What every uploaded bulk CSV file records (a file of referrals, of changes of circumstances): its state and
    its progress, which `core.csvfile.process_file` keeps as each chunk of rows commits. A concrete file adds its LA
    (with its own related name) and `file` (with its own folder)."""

    class State(models.TextChoices):
        PENDING = "PENDING", "Waiting to start"
        RUNNING = "RUNNING", "Processing"
        DONE = "DONE", "Finished"
        REJECTED = "REJECTED", "Rejected: the file could not be read"
        STOPPED = "STOPPED", "Stopped part way"

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", help_text="Blank when loaded by the command line.")
    original_name = models.CharField(max_length=255)
    size_bytes = models.PositiveBigIntegerField(default=0)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    last_row_done = models.PositiveIntegerField(default=0, help_text="File line number of the last committed row.")
    rows_done = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    progressed_at = models.DateTimeField(null=True, blank=True, help_text="When the last chunk of rows committed.")
    finished_at = models.DateTimeField(null=True, blank=True)

    STALLED_AFTER = dt.timedelta(minutes=10)  # a chunk commits within seconds; this long without one, the worker died

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_state_display()})"

    @property
    def stalled(self) -> bool:
        """Processing, but no rows have committed for STALLED_AFTER: the worker stopped without saying so."""
        return (self.state == self.State.RUNNING and self.progressed_at is not None
                and self.progressed_at < timezone.now() - self.STALLED_AFTER)

    @classmethod
    def may_carry_on(cls) -> models.Q:
        """The files that may be carried on: stopped part way, or `stalled`."""
        return (models.Q(state=cls.State.STOPPED)
                | models.Q(state=cls.State.RUNNING, progressed_at__lt=timezone.now() - cls.STALLED_AFTER))
