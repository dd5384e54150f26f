"""Background work: measuring (after events, and nightly) and raising breaches (daily)."""

import datetime as dt

from django.utils import timezone
from django_tasks import task

from liaison.sla.measure import measurements_refresh, nightly_since


@task()
def refresh_measurements(full: bool = False, as_of: str | None = None, nightly: bool = False) -> dict:
    """Measure the standards from the timeline (incremental unless `full`). The nightly run reads the whole last
    day of the timeline again, so nothing committed late is missed."""
    now = timezone.now()
    day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate(now)
    since = nightly_since(now) if nightly else None
    run = measurements_refresh(as_of=day, full=full, since=since, now=now)
    return {"run": run.pk, "full": run.full, "counts": run.counts.get("measurements", {})}


@task()
def refresh_la(la_id: int, standard_code: str) -> dict:
    """Measure one LA's items of one standard again (after a local target of that LA changed)."""
    from liaison.sla.measure import last_refresh

    last = last_refresh()
    if last is None:
        return {"la_id": la_id, "counts": {}}  # nothing measured yet: the first refresh measures everything
    counts = measurements_refresh(as_of=last.as_of, la_id=la_id, standards=[standard_code])
    return {"la_id": la_id, "counts": counts}


@task()
def raise_breaches(today: str | None = None) -> dict:
    from liaison.sla.services import breaches_raise

    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    result = breaches_raise(today=day)
    return {"raised": result.raised, "messages": result.messages, "no_contact": result.no_contact}
