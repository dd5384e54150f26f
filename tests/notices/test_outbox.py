"""Notices: rendered as HTML and PDF, e-mailed through the outbox with retries and backoff."""

import datetime as dt
import shutil
import subprocess

import pytest
from django.core import mail
from django.utils import timezone

from liaison.core.models import Event
from liaison.notices.models import Notice, OutboxMessage
from liaison.notices.services import notice_pdf, outbox_deliver_due, render_html
from liaison.referrals.models import Channel
from liaison.referrals.services import referrals_receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def hbrec(la, la_officer, referral_data, award):
    data = referral_data(customer_name="Bethan Davies", outstanding_balance="845.20")
    award(data["nino"])
    [result] = referrals_receive(la=la, channel=Channel.API, rows=[(None, data)], actor=la_officer)
    return Notice.objects.get(case__referral__pk=result.referral_id)


def test_the_html_notice_says_what_the_la_needs(hbrec):
    html = render_html(hbrec)
    assert "We will start recovering this overpayment" in html
    assert "Bethan Davies" in html and "£845.20" in html and hbrec.context["recovery_start_date"] in html
    assert "CCG Bradford" in html  # Leeds' notices of recovery name Bradford


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_the_pdf_is_a_real_letter(hbrec, tmp_path):
    data = notice_pdf(hbrec)
    assert data[:5] == b"%PDF-"
    path = tmp_path / "n.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Bethan Davies" in text and "£845.20" in text and "HBREC" in text
    hbrec.refresh_from_db()
    assert hbrec.pdf.name  # kept: rendered once
    assert notice_pdf(hbrec) == data


class FlakyBackend:
    failures = 0

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise ConnectionRefusedError("SMTP server not answering")
        mail.outbox.extend(messages)
        return len(messages)


def test_a_failed_email_is_retried_with_backoff_then_sent(hbrec, settings):
    settings.EMAIL_BACKEND = "tests.notices.test_outbox.FlakyBackend"
    OutboxMessage.objects.update(status=OutboxMessage.Status.PENDING, attempts=0, sent_at=None)
    mail.outbox.clear()
    FlakyBackend.failures = 2
    now = timezone.now()
    assert outbox_deliver_due(now=now) == {"sent": 0, "failed": 0, "retried": 1}
    message = OutboxMessage.objects.get()
    assert message.attempts == 1 and "SMTP server not answering" in message.last_error
    assert message.next_attempt_at == now + dt.timedelta(minutes=1)
    assert outbox_deliver_due(now=now) == {"sent": 0, "failed": 0, "retried": 0}  # not due yet
    later = now + dt.timedelta(minutes=1)
    assert outbox_deliver_due(now=later)["retried"] == 1
    assert OutboxMessage.objects.get().next_attempt_at == later + dt.timedelta(minutes=4)
    assert outbox_deliver_due(now=later + dt.timedelta(minutes=4))["sent"] == 1
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT and message.attempts == 3
    assert len(mail.outbox) == 1


def test_after_the_last_attempt_the_message_fails_and_the_timeline_says_so(hbrec, settings):
    settings.EMAIL_BACKEND = "tests.notices.test_outbox.FlakyBackend"
    settings.LIAISON_OUTBOX_MAX_ATTEMPTS = 2
    OutboxMessage.objects.update(status=OutboxMessage.Status.PENDING, attempts=0, sent_at=None)
    FlakyBackend.failures = 10
    now = timezone.now()
    outbox_deliver_due(now=now)
    assert outbox_deliver_due(now=now + dt.timedelta(hours=1)) == {"sent": 0, "failed": 1, "retried": 0}
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.FAILED
    assert Event.objects.filter(case=hbrec.case, kind="notice.email_failed").exists()
    FlakyBackend.failures = 0
