import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from liaison.core.errors import ApplicationError
from liaison.recovery.ledger import deduction_run, week_of


class Command(BaseCommand):
    help = ("Post one benefit week's deductions for every debt in recovery (idempotent: re-running a week posts "
            "nothing new; a run stopped part way carries on). By default, the week that ended most recently.")

    def add_arguments(self, parser):
        parser.add_argument("--week", help="Any date in the benefit week, YYYY-MM-DD (its Monday is used).")

    def handle(self, *args, week=None, **options):
        try:
            day = dt.date.fromisoformat(week) if week else week_of(timezone.localdate()) - dt.timedelta(weeks=1)
        except ValueError:
            raise CommandError(f"--week must be a date like 2025-06-16, not {week!r}") from None
        try:
            run = deduction_run(week_start=week_of(day))
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        counts = run.counts
        self.stdout.write(f"Week of {run.week_start:%d %B %Y}: {counts.get('posted', 0)} deductions posted, "
                          f"{counts.get('paid_in_full', 0)} debts paid in full ({run.get_state_display().lower()}).")
