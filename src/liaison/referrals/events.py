"""Timeline event kinds of a referral. The SLA clocks REF-INPUT, REF-OUTCOME and REF-RESPONSE read these."""

from liaison.core.events import EventKind, register

RECEIVED = EventKind("referral.received", "Referral received")
QUEUED = EventKind("referral.queued", "Referral sent to the CC Porth work queue")
ASSIGNED = EventKind("referral.assigned", "Referral assigned to an officer")
LOADED = EventKind("referral.loaded", "Referral loaded onto Debt Manager")
RETURNED = EventKind("referral.returned", "Referral returned to the LA")
NOT_LOADED = EventKind("referral.not_loaded", "Referral not loaded (clerical notification)")
RESENT = EventKind("referral.resent", "Referral sent again and recognised")
register(RECEIVED, QUEUED, ASSIGNED, LOADED, RETURNED, NOT_LOADED, RESENT)
VALIDATED = EventKind("referral.validated", "Referral checked: no missing or invalid data")
DECIDED = EventKind("referral.decided", "Referral decided by a CC Porth officer")
register(VALIDATED, DECIDED)
