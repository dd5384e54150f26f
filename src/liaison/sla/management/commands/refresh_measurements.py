import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from liaison.sla.measure import measurements_refresh


class Command(BaseCommand):
    help = ("Measure the service standards from the timeline. Incremental by default (the cases with new events); "
            "--full recomputes everything; --as-of recomputes everything as things stood at the end of a past day.")

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="YYYY-MM-DD (default: today, in London).")
        parser.add_argument("--full", action="store_true")
        parser.add_argument("--since", type=int, help="Recompute the cases with events after this event id.")

    def handle(self, *args, as_of=None, full=False, since=None, **options):
        try:
            day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError:
            raise CommandError(f"--as-of must be a date like 2025-03-31, not {as_of!r}") from None
        run = measurements_refresh(as_of=day, full=full, since=since)
        counts = run.counts.get("measurements", {})
        self.stdout.write(f"Measured as of {run.as_of:%d %B %Y} ({'full' if run.full else 'incremental'}, "
                          f"to event {run.max_event_id}): "
                          + ", ".join(f"{k} {v}" for k, v in counts.items()))
