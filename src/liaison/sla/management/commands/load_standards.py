from django.core.management.base import BaseCommand

from liaison.sla.reference import standards_load


class Command(BaseCommand):
    help = ("Load the service standards of the agreement (SLA Appendices 1 and 2) and their provisions from "
            "sla/data/standards.json, and generate the working-day calendar of every nation from GOV.UK's feed. "
            "Re-runnable: it updates, never duplicates.")

    def add_arguments(self, parser):
        parser.add_argument("--no-refresh", action="store_true",
                            help="Do not queue a full refresh of the measurements when something changed.")

    def handle(self, *args, no_refresh=False, **options):
        report = standards_load(calendar=True)
        self.stdout.write(f"Service standards: {report}")
        if report.changed and not no_refresh:
            from liaison.sla.measure import last_refresh

            if last_refresh() is not None:
                from liaison.sla.tasks import refresh_measurements

                refresh_measurements.enqueue(full=True)
                self.stdout.write("A standard or the calendar changed: a full refresh of the measurements is queued.")
