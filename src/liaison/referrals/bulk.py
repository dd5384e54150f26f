"""Bulk files of referrals: checked as a whole first, then streamed in chunks that each commit on their own.

A file that cannot be read is rejected whole with one clear reason; a row that cannot be read is returned with
its faults (by row and field); nothing already accepted is lost if processing stops part way, and a restart
carries on after the last committed row.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from django.db import connections
from django.utils import timezone

from liaison.core.bulk import analyze_if_grown
from liaison.core.csvfile import (
    IN_FLIGHT, MAX_FIELD_CHARS, FileCheck, FileKind, FileRejected, can_write_behind, check_csv, iter_csv_rows,
    process_file,
)
from liaison.core.csvfile import template_csv as _template_csv
from liaison.recovery.services import RateTable
from liaison.referrals.models import ImportBatch, Reason, Referral
from liaison.referrals.services import (
    Checked, InFlight, Prepared, RowResult, referrals_check, referrals_prepare, referrals_receive,
    referrals_record,
)
from liaison.referrals.validation import COLUMNS, FIELDS_BY_NAME

CHUNK_ROWS = 2000
__all__ = ["MAX_FIELD_CHARS", "FileCheck", "FileRejected", "batch_process", "check_file", "iter_rows",
           "results_rows", "template_csv"]
# The file checks are shared with other bulk files (liaison.core.csvfile); this is what a referral file holds.
REFERRAL_FILE = FileKind(columns=COLUMNS, labels={name: f.label for name, f in FIELDS_BY_NAME.items()},
                         row_noun="referral", rows_noun="referrals", form_name="the referral form")


def check_file(path: Path) -> FileCheck:
    """Read the whole file once, cheaply: size, encoding, header and number of rows."""
    return check_csv(path, REFERRAL_FILE)


def iter_rows(path: Path, header: list[str], *, after_line: int = 0) -> Iterator[tuple[int, dict]]:
    """(file line number, data) for each non-blank row, streamed. A row's own faults ride in `_row_faults`."""
    return iter_csv_rows(path, header, REFERRAL_FILE, after_line=after_line)


def batch_process(*, batch: ImportBatch, on_chunk=None) -> ImportBatch:
    """Process (or carry on processing) a bulk file. Each chunk of rows commits with the batch's progress.

    On PostgreSQL (outside a transaction) each chunk is written behind: recorded and committed on a second
    connection while the next chunk is scrutinised, against what is held plus the chunk in flight (ADR 0014)."""
    rates = RateTable()
    write_behind = can_write_behind()

    def receive(chunk: list[tuple[int, dict]], checked: Checked) -> list[RowResult]:
        return referrals_receive(la=batch.la, channel=batch.channel, rows=chunk, actor=batch.uploaded_by,
                                 batch=batch, rates=rates, checked=checked)

    def record(chunk: list[tuple[int, dict]], prepared: Prepared) -> list[RowResult]:
        return referrals_record(prepared)

    def prepared_chunks(path: Path, header: list[str], after_line: int):
        flights: deque[InFlight] = deque(maxlen=IN_FLIGHT)  # the chunks that may not have committed yet
        for chunk, checked in _checked_chunks(path, header, after_line=after_line, la_code=batch.la.code,
                                              look_up_registers=True):
            in_flight = InFlight.merged(flights)
            prepared = referrals_prepare(la=batch.la, channel=batch.channel, rows=chunk, actor=batch.uploaded_by,
                                         batch=batch, rates=rates, checked=checked, in_flight=in_flight)
            flights.append(prepared.in_flight())
            yield chunk, prepared

    def after_chunk() -> None:
        # Keep the planner's picture of the referrals table up to date as the file fills it (the next chunk's
        # look-ups for re-sends and duplicates depend on it).
        analyze_if_grown(Referral, fields=["la", "la_reference", "status", "nino", "is_civil_penalty"])

    if write_behind:
        return process_file(batch, check=check_file, receive=record, chunks=prepared_chunks,
                            after_chunk=after_chunk, on_chunk=on_chunk, write_behind=True)
    return process_file(
        batch, check=check_file, receive=receive, after_chunk=after_chunk, on_chunk=on_chunk,
        chunks=lambda path, header, after_line: _checked_chunks(path, header, after_line=after_line,
                                                                la_code=batch.la.code))


def _checked_chunks(path: Path, header: list[str], *, after_line: int, la_code: str,
                    look_up_registers: bool = False) -> Iterator[tuple[list[tuple[int, dict]], Checked]]:
    """The file's rows in chunks of CHUNK_ROWS, each already validated: a reader thread reads and validates the
    next chunk while this one is in the database (waiting on the database frees the interpreter for it), one
    chunk ahead at most, so memory stays bounded whatever the file's size.

    With `look_up_registers` (written behind: the caller holds no transaction, so a connection of the reader's own
    sees what it would), the reader also looks the chunk's customers up in the benefit register and the
    instalment plans, which the file does not write (`services.Registers`): scrutiny then waits for neither."""
    tz = timezone.get_current_timezone()
    reason_codes = frozenset(Reason.objects.filter(active=True).values_list("code", flat=True))
    ahead: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item) -> None:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def check(chunk):
        today = timezone.localdate(timezone.now(), tz)
        return chunk, referrals_check(chunk, la_code=la_code, today=today, reason_codes=reason_codes,
                                      look_up_registers=look_up_registers)

    def read() -> None:
        try:
            chunk: list[tuple[int, dict]] = []
            for row in iter_rows(path, header, after_line=after_line):
                chunk.append(row)
                if len(chunk) >= CHUNK_ROWS:
                    put(check(chunk))
                    chunk = []
            if chunk:
                put(check(chunk))
            put(None)
        except BaseException as exc:  # noqa: BLE001 (handed to the caller's thread and raised there)
            put(exc)
        finally:
            if look_up_registers:
                connections.close_all()  # the reader's own connection (this thread's)

    reader = threading.Thread(target=read, name=f"referral-file-reader-{la_code}", daemon=True)
    reader.start()
    try:
        while (item := ahead.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()


def template_csv() -> str:
    return _template_csv(COLUMNS)


def results_rows(batch: ImportBatch) -> Iterator[RowResult]:
    """Every row's outcome in file order: referrals made from the file, and the rows that were not new."""
    from liaison.referrals.models import ImportRow, Referral, Status

    referrals = (Referral.objects.filter(import_batch=batch).order_by("source_row")
                 .values_list("source_row", "la_reference", "status", "id", "case_id", "faults").iterator(2000))
    others = (ImportRow.objects.filter(batch=batch).order_by("row_number")
              .values_list("row_number", "la_reference", "outcome", "referral_id", "faults").iterator(2000))

    def from_referral(r):
        row, ref, status, rid, case_id, faults = r
        return RowResult(row=row, la_reference=ref, outcome=status, outcome_label=Status(status).label,
                         referral_id=rid, case_reference=f"C{case_id:07d}", faults=faults)

    def from_other(o):
        row, ref, outcome, rid, faults = o
        return RowResult(row=row, la_reference=ref, outcome=outcome, outcome_label="Already received",
                         referral_id=rid, faults=faults, detail=faults[0]["message"] if faults else "")

    a, b = next(referrals, None), next(others, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] <= b[0]):
            yield from_referral(a)
            a = next(referrals, None)
        else:
            yield from_other(b)
            b = next(others, None)
