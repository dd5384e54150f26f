"""Bulk CSV files of changes of circumstances: the referral file's machinery (liaison.core.csvfile), for Appendix 7.

The file is checked as a whole first (size, encoding, header); a file that cannot be read is rejected whole with one
clear reason and nothing recorded. The rows are then streamed in chunks that each commit on their own, with the
file's progress: each row is accepted (a change recorded and routed) or refused with its faults by field; nothing
accepted is lost if processing stops part way, and a restart carries on after the last committed row.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.utils import timezone

from liaison.casework.models import ChangeFile, ChangeFileRow, Channel
from liaison.casework.services import changes_receive
from liaison.casework.validation import COLUMNS, FIELDS_BY_NAME
from liaison.core.csvfile import (
    FileCheck, FileKind, FileRejected, check_csv, chunked, iter_csv_rows, process_file, template_csv,
)

CHUNK_ROWS = 2000
CHANGE_FILE = FileKind(columns=COLUMNS, labels={name: f.label for name, f in FIELDS_BY_NAME.items()},
                       row_noun="change", rows_noun="changes", form_name="the change of circumstances form")
__all__ = ["CHANGE_FILE", "FileRejected", "change_file_process", "check_change_file", "template"]


def check_change_file(path: Path) -> FileCheck:
    return check_csv(path, CHANGE_FILE)


def template() -> str:
    return template_csv(COLUMNS)


def change_file_process(*, change_file: ChangeFile, now=None, on_chunk=None) -> ChangeFile:
    """Process (or carry on processing) a file of changes. Each chunk commits with the file's progress."""
    def receive(chunk, _checked):
        return changes_receive(la=change_file.la, rows=chunk, actor=change_file.uploaded_by, channel=Channel.FILE,
                               now=now or timezone.now(), file=change_file)

    return process_file(
        change_file, check=check_change_file, receive=receive, on_chunk=on_chunk,
        chunks=lambda path, header, after_line: chunked(
            iter_csv_rows(path, header, CHANGE_FILE, after_line=after_line), CHUNK_ROWS))


def results_rows(change_file: ChangeFile) -> Iterator[ChangeFileRow]:
    """Every row's outcome, in file order."""
    return (ChangeFileRow.objects.filter(file=change_file).select_related("change", "change__site")
            .order_by("row_number").iterator(2000))
