import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from liaison.core.errors import ApplicationError
from liaison.core.money import format_pence
from liaison.remittance.services import remittance_run


class Command(BaseCommand):
    help = ("Draw up the monthly remittance to each LA for the money recovered in a month (by default, last "
            "month). Re-running a month changes nothing already drawn up; what it missed goes in the next month.")

    def add_arguments(self, parser):
        parser.add_argument("--month", help="The month the money was recovered in, YYYY-MM.")

    def handle(self, *args, month=None, **options):
        now = timezone.now()
        try:
            first = (dt.date.fromisoformat(f"{month}-01") if month
                     else (timezone.localdate(now).replace(day=1) - dt.timedelta(days=1)).replace(day=1))
        except ValueError:
            raise CommandError(f"--month must be a month like 2025-06, not {month!r}") from None
        try:
            run = remittance_run(month=first, now=now)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        remittances = list(run.remittances.select_related("la").order_by("la__name"))
        for r in remittances:
            owes = " (the LA owes DM)" if r.owes_dm else ""
            self.stdout.write(f"{r.la.name}: {r.item_count} items, {format_pence(r.total_pence)}{owes}")
        counts = run.counts
        self.stdout.write(f"{first:%B %Y}: {counts['remittances']} remittances drawn up, {counts['items']} items, "
                          f"{format_pence(counts['total_pence'])} in all, due by the end of the next month.")
