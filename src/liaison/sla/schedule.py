"""When the SLA work runs, as a pure question of the time (tested on fixed times): `liaison scheduler` asks it.

- every 10 minutes: measure the new events (incremental, seconds);
- from 02:00: the nightly refresh, which reads the whole last day of the timeline again;
- from 07:00: raise the day's new breaches (after the nightly refresh).
Each job is idempotent, so one enqueued twice (a scheduler restart) does no harm.
"""

from __future__ import annotations

import datetime as dt

MEASURE_EVERY_MINUTES = 10
NIGHTLY_FROM_HOUR = 2
BREACHES_FROM_HOUR = 7


def due_jobs(local: dt.datetime) -> list[tuple[str, str]]:
    """(job name, argument) pairs due at London time `local`; the argument names the slot, so a scheduler that
    remembers what it enqueued enqueues each slot once."""
    slot = local.replace(minute=local.minute - local.minute % MEASURE_EVERY_MINUTES, second=0, microsecond=0)
    jobs = [("sla-measure", slot.isoformat(timespec="minutes"))]
    if local.hour >= NIGHTLY_FROM_HOUR:
        jobs.append(("sla-nightly", local.date().isoformat()))
    if local.hour >= BREACHES_FROM_HOUR:
        jobs.append(("sla-breaches", local.date().isoformat()))
    return jobs


def enqueue(name: str, argument: str) -> None:
    from liaison.sla import tasks

    if name == "sla-measure":
        tasks.refresh_measurements.enqueue()
    elif name == "sla-nightly":
        tasks.refresh_measurements.enqueue(nightly=True)
    elif name == "sla-breaches":
        tasks.raise_breaches.enqueue(argument)
