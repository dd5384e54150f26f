"""Event kinds the remittance records: one event per remittance (case=None, la=the LA), never one per debt.

`remittance.paid` carries the month, the due date and the day paid, so the PAY standard (DOMAIN §8: paid by the
end of the month after the money was recovered) can be measured from the timeline alone.
"""

from liaison.core.events import EventKind, register

CREATED = EventKind("remittance.created", "Monthly remittance drawn up")
PAID = EventKind("remittance.paid", "Monthly remittance paid")
SCHEDULE_VIEWED = EventKind("remittance.schedule_viewed", "Remittance schedule viewed", is_view=True)
register(CREATED, PAID, SCHEDULE_VIEWED)
