from liaison.core.events import EventKind, register

NOTICE_ISSUED = EventKind("notice.issued", "Notice issued")
NOTICE_EMAILED = EventKind("notice.emailed", "Notice e-mailed")
NOTICE_EMAIL_FAILED = EventKind("notice.email_failed", "Notice e-mail failed")
register(NOTICE_ISSUED, NOTICE_EMAILED, NOTICE_EMAIL_FAILED)
