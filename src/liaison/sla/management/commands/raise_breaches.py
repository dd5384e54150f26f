import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from liaison.sla.services import breaches_raise


class Command(BaseCommand):
    help = ("Raise each new breach of a service standard once, to the responsible party's nominated contact (one "
            "e-mail per contact listing its new breaches), and into the shared issues log where that is set up.")

    def add_arguments(self, parser):
        parser.add_argument("--today", help="YYYY-MM-DD (default: today, in London).")

    def handle(self, *args, today=None, **options):
        try:
            day = dt.date.fromisoformat(today) if today else timezone.localdate()
        except ValueError:
            raise CommandError(f"--today must be a date like 2025-03-31, not {today!r}") from None
        result = breaches_raise(today=day)
        self.stdout.write(f"{result.raised} new breaches raised in {result.messages} e-mails; "
                          f"{result.recorded_only} older breaches recorded without an e-mail; "
                          f"{result.no_contact} with no contact to raise them to.")
