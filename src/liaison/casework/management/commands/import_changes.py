import json
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from liaison.casework.bulk import FileRejected, change_file_process, check_change_file
from liaison.casework.models import ChangeFile
from liaison.core.filecommands import add_resume_argument, file_to_carry_on, process_or_explain
from liaison.partners.models import Organisation


class Command(BaseCommand):
    help = ("Send a bulk CSV file of changes of circumstances (SLA Appendix 7) for an LA. Prints one line per row: "
            "the row number, whether it was accepted (and where it was sent) or refused, with every fault. "
            "See docs/change-file.md for the columns.")

    # Django's system checks (the whole project's configuration, 0.3 s) are for starting a server and for
    # `liaison check --deploy`; an operator's scripted import of a file goes straight to the file.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, nargs="?")
        parser.add_argument("--la", help="The LA's code, e.g. E08000035")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        add_resume_argument(parser)

    def handle(self, *args, path: Path | None, la: str | None, format: str, resume: int | None, **options):
        if resume is not None:
            return self._process(file_to_carry_on(ChangeFile, resume), format)
        if path is None or not la:
            raise CommandError("Give the file's path and --la CODE (or --resume FILE_NUMBER).")
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        org = Organisation.objects.filter(code=la.upper(), kind=Organisation.Kind.LOCAL_AUTHORITY).first()
        if org is None:
            raise CommandError(f"No Local Authority has the code {la}. Run 'liaison load-reference-data' first, "
                               "or check the code.")
        try:
            check_change_file(path)
        except FileRejected as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        with open(path, "rb") as fh:
            change_file = ChangeFile(la=org, original_name=path.name, size_bytes=path.stat().st_size)
            change_file.file.save(path.name, File(fh), save=False)
            change_file.save()
        return self._process(change_file, format)

    def _process(self, change_file: ChangeFile, format: str) -> None:
        def line(r) -> str:
            if format == "json":
                return json.dumps(r.as_dict())
            text = f"row {r.row}: {r.outcome}"
            if r.change is not None:
                text += f" ({r.change.reference}, sent to {r.change.site.name}, due {r.change.due_on:%Y-%m-%d})"
            if r.faults:
                text += ": " + "; ".join(f"{f.label}: {f.message}" for f in r.faults)
            return text

        def emit(results):
            if results:  # a chunk's lines in one write
                self.stdout.write("\n".join(map(line, results)))

        change_file = process_or_explain(lambda: change_file_process(change_file=change_file, on_chunk=emit),
                                         change_file, "import-changes")
        summary = ", ".join(f"{n} {k}" for k, n in sorted(change_file.counts.items()))
        self.stderr.write(f"{change_file.rows_done} rows processed from {change_file.original_name} for "
                          f"{change_file.la.name}: {summary}")
