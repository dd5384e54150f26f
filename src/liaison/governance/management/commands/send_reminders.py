import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from liaison.governance.reminders import reminders_send


class Command(BaseCommand):
    help = ("E-mail the reminders due today (contacts to review, minutes, actions, milestones, meetings overdue, "
            "notices expiring, extension talks) through the outbox, and end agreements whose notice of termination "
            "has taken effect. Run it daily; running it again the same day sends nothing twice.")

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Send as on this day, YYYY-MM-DD (default: today).")

    def handle(self, *args, date=None, **options):
        now = timezone.now()
        try:
            today = dt.date.fromisoformat(date) if date else timezone.localdate(now)
        except ValueError:
            raise CommandError(f"--date must be a date like 2025-06-30, not {date!r}") from None
        result = reminders_send(today=today, now=now)
        self.stdout.write(f"{today:%d %B %Y}: {result['sent']} reminders queued, {result['already_sent']} already "
                          f"sent today, {result['agreements_ended']} agreements ended by notice.")
