"""What runs on a timetable: the weekly deduction run and the monthly remittance.

`due(now)` is a pure question ("what should have run by now and has not?"), so it is tested on fixed dates;
`liaison scheduler` asks it every minute and puts what is due on the task queue. Each job is idempotent, so a
job enqueued twice does no harm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.utils import timezone

from liaison.recovery.ledger import week_of
from liaison.recovery.models import DeductionRun

DEDUCTIONS_FROM_HOUR = 6  # the run for last week starts at 06:00 on Monday
REMINDERS_FROM_HOUR = 7  # governance reminders (reviews, minutes, actions, milestones, notices) go at 07:00


@dataclass(frozen=True)
class Job:
    name: str
    argument: str


def due(now: dt.datetime) -> list[Job]:
    local = timezone.localtime(now)
    jobs = []
    # The latest week whose run is due: a week ends on Sunday, and its run starts at 06:00 the next Monday.
    last_week = week_of((local - dt.timedelta(hours=DEDUCTIONS_FROM_HOUR)).date()) - dt.timedelta(weeks=1)
    if not DeductionRun.objects.filter(week_start=last_week, state=DeductionRun.State.DONE).exists():
        jobs.append(Job("deductions", last_week.isoformat()))
    if apps.is_installed("liaison.remittance"):
        from liaison.remittance.models import Remittance

        first_of_this_month = local.date().replace(day=1)
        last_month = (first_of_this_month - dt.timedelta(days=1)).replace(day=1)
        if not Remittance.objects.filter(month=last_month).exists():
            jobs.append(Job("remittance", last_month.isoformat()))
    if apps.is_installed("liaison.governance") and local.hour >= REMINDERS_FROM_HOUR:
        # Once a day from 07:00; each reminder is e-mailed at most once a day however often this runs.
        jobs.append(Job("reminders", local.date().isoformat()))
    if apps.is_installed("liaison.sla"):
        from liaison.sla.schedule import due_jobs

        jobs += [Job(name, argument) for name, argument in due_jobs(local)]
    return jobs


def enqueue_due(now: dt.datetime, *, already: set[Job]) -> list[Job]:
    """Enqueue what is due and not already enqueued by this scheduler; returns what it enqueued."""
    from liaison.recovery.tasks import run_weekly_deductions

    enqueued = []
    for job in due(now):
        if job in already:
            continue
        if job.name == "deductions":
            run_weekly_deductions.enqueue(job.argument)
        elif job.name == "remittance":
            from liaison.remittance import tasks as remittance_tasks

            remittance_tasks.run_monthly_remittance.enqueue(job.argument)
        elif job.name == "reminders":
            from liaison.governance.tasks import send_reminders

            send_reminders.enqueue()
        elif job.name.startswith("sla-"):
            from liaison.sla.schedule import enqueue

            enqueue(job.name, job.argument)
        already.add(job)
        enqueued.append(job)
    return enqueued
