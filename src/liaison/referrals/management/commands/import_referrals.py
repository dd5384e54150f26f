import json
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from liaison.core.filecommands import add_resume_argument, file_to_carry_on, process_or_explain
from liaison.partners.models import Organisation
from liaison.referrals.bulk import FileRejected, batch_process, check_file
from liaison.referrals.models import Channel, ImportBatch


class Command(BaseCommand):
    help = ("Refer a bulk CSV file of overpayments for an LA. Prints one line per row: the row number, its "
            "outcome and every fault. See docs/referral-file.md for the columns.")

    # Django's system checks (the whole project's configuration, 0.3 s) are for starting a server and for
    # `liaison check --deploy`; an operator's scripted import of a file goes straight to the file.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, nargs="?")
        parser.add_argument("--la", help="The referring LA's code, e.g. E08000025")
        parser.add_argument("--format", choices=["text", "json"], default="text")
        add_resume_argument(parser)

    def handle(self, *args, path: Path | None, la: str | None, format: str, resume: int | None, **options):
        if resume is not None:
            return self._process(file_to_carry_on(ImportBatch, resume), format)
        if path is None or not la:
            raise CommandError("Give the file's path and --la CODE (or --resume FILE_NUMBER).")
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        org = Organisation.objects.filter(code=la.upper(), kind=Organisation.Kind.LOCAL_AUTHORITY).first()
        if org is None:
            raise CommandError(f"No Local Authority has the code {la}. Run 'liaison load-reference-data' first, "
                               "or check the code.")
        try:
            check_file(path)
        except FileRejected as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        with open(path, "rb") as fh:
            batch = ImportBatch(la=org, channel=Channel.FILE, original_name=path.name, size_bytes=path.stat().st_size)
            batch.file.save(path.name, File(fh), save=False)
            batch.save()
        return self._process(batch, format)

    def _process(self, batch: ImportBatch, format: str) -> None:
        def line(r) -> str:
            if format == "json":
                return json.dumps(r.as_dict())
            text = f"row {r.row}: {r.outcome}"
            if r.case_reference:
                text += f" ({r.case_reference})"
            if r.faults:
                text += ": " + "; ".join(f"{f['label']}: {f['message']}" for f in r.faults)
            elif r.detail:
                text += f": {r.detail}"
            return text

        def emit(results):
            if results:  # a chunk's lines in one write (one a line cost half a second a 100,000-row file)
                self.stdout.write("\n".join(map(line, results)))

        batch = process_or_explain(lambda: batch_process(batch=batch, on_chunk=emit), batch, "import-referrals")
        summary = ", ".join(f"{n} {k}" for k, n in sorted(batch.counts.items()))
        self.stderr.write(f"{batch.rows_done} rows processed from {batch.original_name} for {batch.la.name}: "
                          f"{summary}")
