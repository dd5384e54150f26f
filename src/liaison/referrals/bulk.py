"""Bulk files of referrals: checked as a whole first, then streamed in chunks that each commit on their own.

A file that cannot be read is rejected whole with one clear reason; a row that cannot be read is returned with
its faults (by row and field); nothing already accepted is lost if processing stops part way, and a restart
carries on after the last committed row.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from liaison.recovery.services import RateTable
from liaison.referrals.models import ImportBatch
from liaison.referrals.services import RowResult, referrals_receive
from liaison.referrals.validation import COLUMNS, FIELDS_BY_NAME

CHUNK_ROWS = 2000
MAX_FIELD_CHARS = 1000
csv.field_size_limit(MAX_FIELD_CHARS * 4)


class FileRejected(Exception):
    """The file as a whole cannot be processed; nothing in it has been recorded."""


@dataclass
class FileCheck:
    rows_total: int
    header: list[str]


def check_file(path: Path) -> FileCheck:
    """Read the whole file once, cheaply: size, encoding, header and number of rows."""
    size = path.stat().st_size
    limit = settings.LIAISON_MAX_IMPORT_BYTES
    if size == 0:
        raise FileRejected("The file is empty. Use the template: a header row, then one referral a row.")
    if size > limit:
        raise FileRejected(f"The file is {size / 1_048_576:.1f} MB; the largest file Liaison accepts is "
                           f"{limit / 1_048_576:.0f} MB. Split it into smaller files.")
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    line = 1
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            if b"\x00" in chunk:
                raise FileRejected("The file is not a CSV text file (it contains binary data). "
                                   "Save it from your spreadsheet as 'CSV UTF-8'.")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad_line = line + chunk[: exc.start].count(b"\n")
                raise FileRejected(
                    f"The file is not UTF-8 text (near line {bad_line}). Save it from your "
                    "spreadsheet as 'CSV UTF-8 (comma delimited)' and upload it again.") from None
            line += chunk.count(b"\n")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise FileRejected(f"The header row cannot be read as CSV: {exc}.") from None
        if not header or not any(h.strip() for h in header):
            raise FileRejected("The file has no header row. The first row must name the columns.")
        header = [h.strip().lower() for h in header]
        missing = [c for c in COLUMNS if c not in header]
        unknown = [h for h in header if h not in COLUMNS]
        duplicated = sorted({h for h in header if header.count(h) > 1})
        problems = []
        if missing:
            problems.append(f"it has no column {_join(missing)}")
        if unknown:
            problems.append(f"column {_join(unknown)} {'is' if len(unknown) == 1 else 'are'} not part of the "
                            "referral form")
        if duplicated:
            problems.append(f"column {_join(duplicated)} appears more than once")
        if problems:
            raise FileRejected("The header row does not match the template: " + "; ".join(problems) +
                               ". See the column guide for the exact names.")
        rows = 0
        try:
            for record in reader:
                if any(cell.strip() for cell in record):
                    rows += 1
        except csv.Error:
            rows += 1  # a broken row is reported as a row fault when the file is processed
    if rows == 0:
        raise FileRejected("The file has a header row but no referrals in it.")
    if rows > settings.LIAISON_MAX_IMPORT_ROWS:
        raise FileRejected(f"The file has {rows:,} referrals; the most one file may hold is "
                           f"{settings.LIAISON_MAX_IMPORT_ROWS:,}. Split it into smaller files.")
    return FileCheck(rows_total=rows, header=header)


def _join(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def iter_rows(path: Path, header: list[str], *, after_line: int = 0) -> Iterator[tuple[int, dict]]:
    """(file line number, data) for each non-blank row, streamed. A row's own faults ride in `_row_faults`."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader)
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = reader.line_num
                if line > after_line:
                    yield line, {"_row_faults": [f"Row cannot be read as CSV ({exc}); check its quotes"]}
                continue
            line = reader.line_num
            if line <= after_line or not any(cell.strip() for cell in record):
                continue
            data: dict = dict(zip(header, record))
            faults = []
            if len(record) != len(header):
                faults.append(f"Row has {len(record)} values but the header has {len(header)} columns")
            for name, value in list(data.items()):
                if len(value) > MAX_FIELD_CHARS:
                    faults.append(f"{FIELDS_BY_NAME[name].label} is far too long ({len(value):,} characters)")
                    data[name] = ""
            if faults:
                data["_row_faults"] = faults
            yield line, data


def batch_process(*, batch: ImportBatch, on_chunk=None) -> ImportBatch:
    """Process (or carry on processing) a bulk file. Each chunk of rows commits with the batch's progress."""
    path = Path(batch.file.path)
    try:
        check = check_file(path)
    except FileRejected as exc:
        ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.REJECTED, error=str(exc),
                                                       finished_at=timezone.now())
        batch.refresh_from_db()
        return batch
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.RUNNING, rows_total=check.rows_total,
                                                   started_at=batch.started_at or timezone.now())
    batch.refresh_from_db()
    actor = batch.uploaded_by
    rates = RateTable()
    chunk: list[tuple[int, dict]] = []

    def flush():
        with transaction.atomic():
            results = referrals_receive(la=batch.la, channel=batch.channel, rows=chunk, actor=actor, batch=batch,
                                        rates=rates)
            counts = Counter(batch.counts)
            counts.update(r.outcome for r in results)
            batch.counts = dict(counts)
            batch.rows_done += len(results)
            batch.last_row_done = chunk[-1][0]
            ImportBatch.objects.filter(pk=batch.pk).update(counts=batch.counts, rows_done=batch.rows_done,
                                                           last_row_done=batch.last_row_done)
        if on_chunk:
            on_chunk(results)

    for line, data in iter_rows(path, check.header, after_line=batch.last_row_done):
        chunk.append((line, data))
        if len(chunk) >= CHUNK_ROWS:
            flush()
            chunk = []
    if chunk:
        flush()
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.DONE, finished_at=timezone.now())
    batch.refresh_from_db()
    return batch


def template_csv() -> str:
    out = io.StringIO()
    csv.writer(out).writerow(COLUMNS)
    return out.getvalue()


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
