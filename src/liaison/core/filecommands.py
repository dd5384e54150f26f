"""What the bulk-file commands (`import-referrals`, `import-changes`) share: carrying on a file that stopped part
way, and saying how when processing stops."""

from __future__ import annotations

from collections.abc import Callable

from django.core.management.base import CommandError

from liaison.core.csvfile import carry_on


def add_resume_argument(parser) -> None:
    parser.add_argument("--resume", type=int, metavar="FILE_NUMBER",
                        help="Carry on a file that stopped part way (its number is in the message), from the row "
                             "after the last one recorded; prints the rest of the rows.")


def file_to_carry_on(model, number: int):
    """The file with that number, queued to carry on; a CommandError if there is none or it has not stopped."""
    record = model.objects.select_related("la").filter(pk=number).first()
    if record is None:
        raise CommandError(f"There is no file number {number}.")
    if not carry_on(record) and record.state != model.State.PENDING:
        raise CommandError(f"File number {number} ({record.original_name}) is "
                           f"{record.get_state_display().lower()}, not stopped part way: nothing to carry on.")
    return record


def process_or_explain(process: Callable[[], object], record, command: str):
    """Run `process()`; if it stops part way, a CommandError saying what the file's page says and how to carry on
    (the traceback is in the log)."""
    try:
        return process()
    except Exception:
        record.refresh_from_db()
        raise CommandError(f"{record.error or 'Processing stopped part way.'} To carry on: "
                           f"liaison {command} --resume {record.pk}") from None
