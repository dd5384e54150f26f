"""Writing to the timeline. Every service that changes a case calls `record` inside its transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from liaison.core import events
from liaison.core.bulk import unsaved
from liaison.core.models import Case, Event


def record(*, case: Case | None, kind: events.EventKind | str, occurred_at: dt.datetime, actor=None,
           actor_organisation=None, summary: str, la=None, data: dict[str, Any] | None = None) -> Event:
    kind_obj = events.get(kind) if isinstance(kind, str) else kind
    if actor_organisation is None and actor is not None:
        actor_organisation = getattr(actor, "organisation", None)
    return Event.objects.create(
        case=case,
        la=la if la is not None else (case.la if case is not None else None),
        kind=kind_obj.code,
        occurred_at=occurred_at,
        actor=actor,
        actor_organisation=actor_organisation,
        summary=summary[:500],
        data=data or {},
    )


def build(*, case_id: int | None, la_id: int | None, kind: events.EventKind, occurred_at: dt.datetime,
          actor_id: int | None, actor_organisation_id: int | None, summary: str,
          data: dict[str, Any] | None = None) -> Event:
    """An unsaved event, for bulk paths that insert thousands at once."""
    return unsaved(Event, case_id=case_id, la_id=la_id, kind=kind.code, occurred_at=occurred_at,
                   actor_id=actor_id, actor_organisation_id=actor_organisation_id, summary=summary[:500],
                   data=data or {})
