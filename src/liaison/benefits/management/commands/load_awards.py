from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from liaison.benefits.services import awards_import


class Command(BaseCommand):
    help = "Load benefit awards (the CIS stand-in) from a CSV with columns nino, benefit, weekly_amount, start, end."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", help="Where the awards came from (kept with each award).")

    def handle(self, *args, path: Path, source=None, **options):
        if not path.exists():
            raise CommandError(f"No such file: {path}")
        report = awards_import(path=path, source=source)
        for fault in report.faults:
            self.stderr.write(fault)
        self.stdout.write(f"{report.created} awards created, {report.updated} updated, "
                          f"{len(report.faults)} rows refused")
