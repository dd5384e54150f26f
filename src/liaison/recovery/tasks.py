import datetime as dt

from django.utils import timezone
from django_tasks import task

from liaison.recovery.ledger import deduction_run, week_of


@task()
def run_weekly_deductions(week_start: str | None = None) -> dict:
    """The weekly deduction run (by default for the week that ended most recently). Safe to run twice."""
    week = dt.date.fromisoformat(week_start) if week_start else week_of(timezone.localdate()) - dt.timedelta(weeks=1)
    run = deduction_run(week_start=week)
    return {"week_start": run.week_start.isoformat(), "state": run.state, "counts": run.counts}
