from liaison.core.events import EventKind, register

PAID_IN_FULL = EventKind("debt.paid_in_full", "Debt paid in full")
RECOVERY_STOPPED = EventKind("debt.recovery_stopped", "Recovery stopped; the rest returned to the LA")
SUSPENDED = EventKind("debt.suspended", "Recovery suspended")
RESUMED = EventKind("debt.resumed", "Recovery resumed")
DEDUCTION_REVERSED = EventKind("debt.deduction_reversed", "Deduction reversed")
HARDSHIP_RECEIVED = EventKind("debt.hardship_received", "Hardship application received")
HARDSHIP_DECIDED = EventKind("debt.hardship_decided", "Hardship application decided")
register(PAID_IN_FULL, RECOVERY_STOPPED, SUSPENDED, RESUMED, DEDUCTION_REVERSED, HARDSHIP_RECEIVED, HARDSHIP_DECIDED)
REDUCED = EventKind("debt.reduced", "Debt reduced by the LA")
CANCELLED = EventKind("debt.cancelled", "Debt cancelled by the LA")
register(REDUCED, CANCELLED)
