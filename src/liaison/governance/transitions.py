"""Every status change governance allows, as data, checked in one place (`check`)."""

from __future__ import annotations

from liaison.core.errors import ApplicationError
from liaison.governance.models import (
    AgreementNotice,
    EngagementRound,
    Issue,
    Meeting,
    Milestone,
    Variation,
)

I, V, N, M, MS, MI, R = (Issue.Status, Variation.Status, AgreementNotice.Status, Meeting.Status,
                         Meeting.MinutesStatus, Milestone.Status, EngagementRound.Status)

MACHINES: dict[str, dict[str, frozenset[str]]] = {
    "issue": {
        I.OPEN: frozenset({I.IN_PROGRESS, I.RESOLVED, I.WITHDRAWN}),
        I.IN_PROGRESS: frozenset({I.RESOLVED, I.WITHDRAWN}),
        I.RESOLVED: frozenset({I.CLOSED, I.IN_PROGRESS}),  # confirmed closed, or reopened
        I.CLOSED: frozenset(),
        I.WITHDRAWN: frozenset(),
    },
    "variation": {
        V.REQUESTED: frozenset({V.AGREED, V.DECLINED, V.WITHDRAWN}),
        V.AGREED: frozenset({V.INCORPORATED}),
        V.DECLINED: frozenset(),
        V.WITHDRAWN: frozenset(),
        V.INCORPORATED: frozenset(),
    },
    "notice": {
        N.SERVED: frozenset({N.REMEDIED, N.WITHDRAWN, N.EFFECTIVE}),
        N.REMEDIED: frozenset(),
        N.WITHDRAWN: frozenset(),
        N.EFFECTIVE: frozenset(),
    },
    "meeting": {
        M.SCHEDULED: frozenset({M.HELD, M.CANCELLED}),
        M.HELD: frozenset(),
        M.CANCELLED: frozenset(),
    },
    "minutes": {
        MS.NONE: frozenset({MS.DRAFT}),
        MS.DRAFT: frozenset({MS.DRAFT, MS.CLEARED}),  # a redraft goes back to both sides to clear
        MS.CLEARED: frozenset({MS.CIRCULATED}),
        MS.CIRCULATED: frozenset(),
    },
    "milestone": {
        MI.NOT_STARTED: frozenset({MI.NOT_STARTED, MI.ON_TRACK, MI.AT_RISK, MI.COMPLETE}),
        MI.ON_TRACK: frozenset({MI.ON_TRACK, MI.AT_RISK, MI.COMPLETE}),
        MI.AT_RISK: frozenset({MI.AT_RISK, MI.ON_TRACK, MI.COMPLETE}),
        MI.COMPLETE: frozenset(),
    },
    "round": {
        R.OPEN: frozenset({R.CLOSED}),
        R.CLOSED: frozenset({R.PUBLISHED}),
        R.PUBLISHED: frozenset(),
    },
}

LABELS = {"issue": Issue.Status, "variation": Variation.Status, "notice": AgreementNotice.Status,
          "meeting": Meeting.Status, "minutes": Meeting.MinutesStatus, "milestone": Milestone.Status,
          "round": EngagementRound.Status}
NOUNS = {"issue": "entry", "variation": "variation", "notice": "notice", "meeting": "meeting", "minutes": "minutes",
         "milestone": "milestone", "round": "engagement round"}


def allowed(machine: str, current: str) -> frozenset[str]:
    return MACHINES[machine].get(current, frozenset())


def check(machine: str, current: str, target: str, *, field: str = "status") -> None:
    """Refuse a change the machine does not allow, saying what the record is and what it can become."""
    if target in allowed(machine, current):
        return
    labels = LABELS[machine]
    now_label = labels(current).label
    target_label = labels(target).label if target in labels.values else target
    options = sorted(labels(s).label.lower() for s in allowed(machine, current))
    hint = f" It can only become {', '.join(options)}." if options else " It cannot be changed any more."
    message = f"This {NOUNS[machine]} is {now_label.lower()}, so it cannot become {target_label.lower()}.{hint}"
    raise ApplicationError(message, extra={"faults": {field: message}}, status=409)
