from liaison.core.events import EventKind, register



# Debt events (deductions, closure) arrive with the recovery capability.
