"""Writing and reading the governance history. Every service calls `record` inside its transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from liaison.governance.models import HistoryEntry


def record(*, subject: Model, kind: str, occurred_at: dt.datetime, actor=None, summary: str,
           data: dict[str, Any] | None = None, actor_organisation=None) -> HistoryEntry:
    if actor_organisation is None and actor is not None:
        actor_organisation = getattr(actor, "organisation", None)
    return HistoryEntry.objects.create(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk, kind=kind,
        occurred_at=occurred_at, actor=actor, actor_organisation=actor_organisation, summary=summary[:500],
        data=data or {})


def history_of(subject: Model) -> QuerySet[HistoryEntry]:
    return (HistoryEntry.objects.filter(content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk)
            .select_related("actor", "actor_organisation").order_by("-occurred_at", "-id"))
