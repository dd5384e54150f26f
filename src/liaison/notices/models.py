"""Notices sent to LAs, and the outbox that e-mails them."""

from __future__ import annotations

from django.db import models

from liaison.notices.catalogue import CATALOGUE


class Notice(models.Model):
    """A letter to an LA, fixed when issued: its context is a snapshot, so it reads the same in ten years."""

    code = models.CharField(max_length=10, choices=[(c, f"{c}: {t.title}") for c, t in CATALOGUE.items()])
    # The references are checked per statement, not per row (migration 0004, ADR 0013)
    # No index of their own: notice_case_issued and notice_la_issued lead with them (migration 0005).
    case = models.ForeignKey("core.Case", on_delete=models.PROTECT, related_name="notices", db_constraint=False,
                             db_index=False)
    la = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="notices",
                           db_constraint=False, db_index=False)
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey("partners.Organisation", on_delete=models.PROTECT, related_name="+",
                                  db_constraint=False)
    context = models.JSONField()
    pdf = models.FileField(upload_to="notices/%Y/%m/", blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["la", "-issued_at"], name="notice_la_issued"),
            models.Index(fields=["case", "issued_at"], name="notice_case_issued"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.reference}"

    @property
    def reference(self) -> str:
        return f"N{self.pk:08d}"

    @property
    def notice_type(self):
        return CATALOGUE[self.code]


class OutboxMessage(models.Model):
    """An e-mail waiting to go, delivered by the task worker with retries and backoff."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Waiting to send"
        SENT = "SENT", "Sent"
        FAILED = "FAILED", "Failed: gave up"

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, null=True, blank=True, related_name="emails",
                               db_constraint=False)  # checked per statement (migration 0004)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.subject} to {self.to} ({self.status})"
