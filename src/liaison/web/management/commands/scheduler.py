import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from liaison.web.schedule import enqueue_due


class Command(BaseCommand):
    help = "Every minute, put the jobs that are due (weekly deductions, monthly remittance) on the task queue."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Check once and exit (for cron).")
        parser.add_argument("--interval", type=int, default=60)

    def handle(self, *args, once=False, interval=60, **options):
        already: set = set()
        while True:
            for job in enqueue_due(timezone.now(), already=already):
                self.stdout.write(f"Enqueued {job.name} for {job.argument}")
            if once:
                return
            time.sleep(interval)
