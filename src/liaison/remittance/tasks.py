import datetime as dt

from django.utils import timezone
from django_tasks import task

from liaison.remittance.models import Remittance
from liaison.remittance.services import remittance_run


@task()
def run_monthly_remittance(month: str | None = None) -> dict:
    """The monthly remittance (by default for last month). Safe to run twice: a re-run changes nothing."""
    now = timezone.now()
    if month:
        first = dt.date.fromisoformat(month).replace(day=1)
    else:
        first = (timezone.localdate(now).replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    run = remittance_run(month=first, now=now)
    return {"month": run.month.isoformat(), "counts": run.counts}


@task()
def render_schedule_pdf(remittance_id: int) -> dict:
    """Draw a schedule's PDF ahead of its first download (WeasyPrint takes seconds over thousands of lines)."""
    from liaison.remittance.schedules import schedule_pdf_kept

    remittance = Remittance.objects.select_related("la").get(pk=remittance_id)
    return {"remittance_id": remittance_id, "bytes": len(schedule_pdf_kept(remittance))}
