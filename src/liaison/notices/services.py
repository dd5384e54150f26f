"""Issuing notices, rendering them (HTML and PDF) and e-mailing them through the outbox.

`notices` renders the context it is given and imports no business app.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from liaison.core import timeline
from liaison.core.bulk import bulk_insert, unsaved
from liaison.notices import catalogue
from liaison.notices.events import NOTICE_EMAIL_FAILED, NOTICE_EMAILED, NOTICE_ISSUED
from liaison.notices.models import Notice, OutboxMessage

log = logging.getLogger(__name__)


@dataclass
class NoticeRequest:
    """What a business app asks for: a notice of `code` on a case, to an LA, with a complete context."""

    code: str
    case_id: int
    la_id: int
    to: str
    context: dict
    actor_id: int | None = None
    actor_organisation_id: int | None = None


def notices_issue(*, requests: list[NoticeRequest], issued_by_id: int, issued_at: dt.datetime) -> list[Notice]:
    """Issue many notices at once (set-based): the notices, their outbox e-mails and their timeline events.

    Must run inside the caller's transaction; delivery is scheduled for after it commits.
    """
    if not requests:
        return []
    notices = [unsaved(Notice, code=r.code, case_id=r.case_id, la_id=r.la_id, issued_at=issued_at,
                       issued_by_id=issued_by_id, context=r.context) for r in requests]
    for r in requests:
        catalogue.get(r.code)  # unknown codes fail loudly, before anything is written
    bulk_insert(notices)
    messages, events = [], []
    for notice, r in zip(notices, requests, strict=True):
        kind = catalogue.get(r.code)
        if r.to:
            # The body is rendered when the e-mail is sent (email_body), from the notice's fixed context: the
            # same text, without rendering a template per notice inside a bulk load.
            messages.append(unsaved(
                OutboxMessage,
                notice_id=notice.pk, to=r.to, next_attempt_at=issued_at,
                subject=email_subject(r.code, r.context.get("la_reference", "")),
            ))
        events.append(timeline.build(
            case_id=r.case_id, la_id=r.la_id, kind=NOTICE_ISSUED, occurred_at=issued_at, actor_id=r.actor_id,
            actor_organisation_id=r.actor_organisation_id or issued_by_id,
            summary=issued_summary(r.code), data={"notice_id": notice.pk, "code": kind.code}))
    bulk_insert(messages)
    bulk_insert(events)
    if messages:
        schedule_delivery()
    return notices


def email_subject(code: str, la_reference: str) -> str:
    """The covering e-mail's subject: the notice's code and title, and the LA's reference if the letter has one."""
    kind = catalogue.get(code)
    return f"{kind.code}: {kind.title} - {la_reference}".strip(" -")


def issued_summary(code: str) -> str:
    """The timeline's line for a notice issued."""
    kind = catalogue.get(code)
    return f"{kind.code} issued: {kind.title}"


def schedule_delivery() -> None:
    """Have the task worker deliver the outbox once the caller's transaction commits (at once if there is none):
    one delivery run per transaction, however many e-mails it queued (a run sends everything due)."""
    if not any(hook is _deliver for _, hook, *_ in transaction.get_connection().run_on_commit):
        transaction.on_commit(_deliver)


def _deliver() -> None:
    from liaison.notices.tasks import deliver_outbox

    deliver_outbox.enqueue()


def email_body(notice: Notice) -> str:
    """The covering e-mail's text for a notice (the notice itself goes as a PDF attachment)."""
    return render_to_string("notices/email.txt", {"notice_type": notice.notice_type, "context": notice.context,
                                                  "reference": notice.reference})


def render_html(notice: Notice) -> str:
    return render_to_string(notice.notice_type.template, {"notice": notice, "c": notice.context,
                                                          "notice_type": notice.notice_type})


def render_pdf(notice: Notice) -> bytes:
    from weasyprint import HTML

    html = render_to_string(notice.notice_type.template, {"notice": notice, "c": notice.context,
                                                          "notice_type": notice.notice_type, "for_pdf": True})
    return HTML(string=html, base_url=str(settings.PACKAGE_DIR)).write_pdf()


def notice_pdf(notice: Notice) -> bytes:
    """The notice as a PDF: rendered once, then kept (a notice never changes after it is issued)."""
    if notice.pdf:
        with notice.pdf.open("rb") as fh:
            return fh.read()
    data = render_pdf(notice)
    notice.pdf.save(f"{notice.code}-{notice.reference}.pdf", ContentFile(data), save=False)
    Notice.objects.filter(pk=notice.pk).update(pdf=notice.pdf.name)
    return data


def _due_messages(now: dt.datetime, limit: int):
    qs = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        # Many workers share the outbox without sending twice. Only the message rows are locked: PostgreSQL
        # refuses FOR UPDATE on the nullable side of the outer join to the notice.
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.select_related("notice")[:limit])


def outbox_deliver_due(*, now: dt.datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send what is due. Each message is sent in its own transaction, so one failure never blocks another."""
    now = now or timezone.now()
    sent = failed = retried = 0
    while True:
        peek = (OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
                .select_related("notice").order_by("id").first())
        if peek is None:
            break
        if peek.notice_id and not peek.notice.pdf:
            # Render before taking any lock: a PDF takes a while, and on SQLite a write transaction blocks everyone.
            try:
                notice_pdf(peek.notice)
            except Exception:  # noqa: BLE001 - the send below records the failure and retries
                pass
        with transaction.atomic():
            batch = _due_messages(now, 1)
            if not batch:
                break
            message = batch[0]
            outcome = _send(message, now)
        sent += outcome == "sent"
        failed += outcome == "failed"
        retried += outcome == "retry"
        if sent + failed + retried >= limit:
            break
    return {"sent": sent, "failed": failed, "retried": retried}


def _send(message: OutboxMessage, now: dt.datetime) -> str:
    message.attempts += 1
    if not message.body and message.notice_id:
        message.body = email_body(message.notice)
    email = EmailMessage(subject=message.subject, body=message.body, to=[message.to],
                         from_email=settings.DEFAULT_FROM_EMAIL)
    try:
        if message.notice_id:
            email.attach(f"{message.notice.code}-{message.notice.reference}.pdf", notice_pdf(message.notice),
                         "application/pdf")
        email.send(fail_silently=False)
    except Exception as exc:  # any backend or rendering error: keep the message, try again later
        log.warning("outbox delivery failed", extra={"message_id": message.pk, "error": str(exc)})
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= settings.LIAISON_OUTBOX_MAX_ATTEMPTS:
            message.status = OutboxMessage.Status.FAILED
            outcome = "failed"
            if message.notice_id:
                timeline.record(case=message.notice.case, kind=NOTICE_EMAIL_FAILED, occurred_at=now,
                                actor_organisation=message.notice.issued_by,
                                summary=f"{message.notice.code} could not be e-mailed to {message.to} after "
                                        f"{message.attempts} attempts", data={"outbox_id": message.pk})
        else:
            # Back off: 1, 4, 16, 64 ... minutes.
            message.next_attempt_at = now + dt.timedelta(minutes=4 ** (message.attempts - 1))
            outcome = "retry"
            transaction.on_commit(lambda when=message.next_attempt_at: _schedule_retry(when))
        message.save(update_fields=["attempts", "status", "next_attempt_at", "last_error", "body"])
        return outcome
    message.status = OutboxMessage.Status.SENT
    message.sent_at = now
    message.last_error = ""
    message.save(update_fields=["attempts", "status", "sent_at", "last_error", "body"])
    if message.notice_id:
        timeline.record(case=message.notice.case, kind=NOTICE_EMAILED, occurred_at=now,
                        actor_organisation=message.notice.issued_by,
                        summary=f"{message.notice.code} e-mailed to {message.to}",
                        data={"outbox_id": message.pk, "notice_id": message.notice_id})
    return "sent"


def _schedule_retry(when: dt.datetime) -> None:
    from liaison.notices.tasks import deliver_outbox

    deliver_outbox.using(run_after=when).enqueue()
