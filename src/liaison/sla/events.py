"""Timeline event kinds `sla` records itself: a breach raised, its reason, a local target recorded or ended."""

from liaison.core.events import EventKind, register

BREACH_RAISED = EventKind("sla.breach_raised", "Service standard breach raised")
BREACH_REASON = EventKind("sla.breach_reason_recorded", "Reason for a service standard breach recorded")
TARGET_RECORDED = EventKind("sla.local_target_recorded", "Local target agreed with the LA recorded")
TARGET_ENDED = EventKind("sla.local_target_ended", "Local target ended")
register(BREACH_RAISED, BREACH_REASON, TARGET_RECORDED, TARGET_ENDED)
