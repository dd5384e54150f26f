"""Bulk CSV files from LAs (referrals, changes of circumstances): checked as a whole first, then streamed.

A file that cannot be read is rejected whole with one clear reason (`FileRejected`); a row that cannot be read is
yielded with its own faults, so it is reported by row and field while the good rows go ahead. Each kind of file
names its columns and what one row is ("referral", "change"); the wording is otherwise the same for every file.
"""

from __future__ import annotations

import codecs
import csv
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from liaison.core.bulk import collect_garbage_between_chunks

MAX_FIELD_CHARS = 1000
csv.field_size_limit(MAX_FIELD_CHARS * 4)


class FileRejected(Exception):
    """The file as a whole cannot be processed; nothing in it has been recorded."""


@dataclass
class FileCheck:
    rows_total: int
    header: list[str]


@dataclass(frozen=True)
class FileKind:
    """What a kind of bulk file holds: its columns, the label of each, and what one row is called."""

    columns: list[str]
    labels: dict[str, str]
    row_noun: str  # "referral": "one referral a row"
    rows_noun: str  # "referrals": "no referrals in it"
    form_name: str  # "the referral form": "column 'x' is not part of the referral form"


def check_csv(path: Path, kind: FileKind) -> FileCheck:
    """Read the whole file once, cheaply: size, encoding, header and number of rows."""
    size = path.stat().st_size
    limit = settings.LIAISON_MAX_IMPORT_BYTES
    if size == 0:
        raise FileRejected(f"The file is empty. Use the template: a header row, then one {kind.row_noun} a row.")
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
        missing = [c for c in kind.columns if c not in header]
        unknown = [h for h in header if h not in kind.columns]
        duplicated = sorted({h for h in header if header.count(h) > 1})
        problems = []
        if missing:
            problems.append(f"it has no column {_join(missing)}")
        if unknown:
            problems.append(f"column {_join(unknown)} {'is' if len(unknown) == 1 else 'are'} not part of "
                            f"{kind.form_name}")
        if duplicated:
            problems.append(f"column {_join(duplicated)} appears more than once")
        if problems:
            raise FileRejected("The header row does not match the template: " + "; ".join(problems) +
                               ". See the column guide for the exact names.")
        rows = 0
        while True:  # count every row: a broken row must not stop the count (nor the row limit)
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error:
                rows += 1  # a broken row is reported as a row fault when the file is processed
                continue
            if any(cell.strip() for cell in record):
                rows += 1
    if rows == 0:
        raise FileRejected(f"The file has a header row but no {kind.rows_noun} in it.")
    if rows > settings.LIAISON_MAX_IMPORT_ROWS:
        raise FileRejected(f"The file has {rows:,} {kind.rows_noun}; the most one file may hold is "
                           f"{settings.LIAISON_MAX_IMPORT_ROWS:,}. Split it into smaller files.")
    return FileCheck(rows_total=rows, header=header)


def _join(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)


def iter_csv_rows(path: Path, header: list[str], kind: FileKind, *,
                  after_line: int = 0) -> Iterator[tuple[int, dict]]:
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
                    reason = (f"a value is far too long (over {MAX_FIELD_CHARS * 4:,} characters)"
                              if "field larger than field limit" in str(exc) else f"{exc}; check its quotes")
                    yield line, {"_row_faults": [f"Row cannot be read as CSV: {reason}"]}
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
                    faults.append(f"{kind.labels.get(name, name)} is far too long ({len(value):,} characters)")
                    data[name] = ""
            if faults:
                data["_row_faults"] = faults
            yield line, data


def template_csv(columns: list[str]) -> str:
    import io

    out = io.StringIO()
    csv.writer(out).writerow(columns)
    return out.getvalue()


Rows = list[tuple[int, dict]]


def chunked(rows: Iterable[tuple[int, dict]], size: int) -> Iterator[tuple[Rows, None]]:
    """`rows` in lists of `size`, for `process_file` (with nothing checked ahead)."""
    chunk: Rows = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk, None
            chunk = []
    if chunk:
        yield chunk, None


def can_write_behind() -> bool:
    """Whether a bulk file's chunks can be written behind (`process_file(write_behind=True)`): on PostgreSQL,
    when the caller holds no transaction (a second connection would not see what it has written)."""
    from django.db import connection

    return connection.vendor == "postgresql" and not connection.in_atomic_block


def process_file(record, *, check: Callable[[Path], FileCheck],
                 chunks: Callable[[Path, list[str], int], Iterable[tuple[Rows, Any]]],
                 receive: Callable[[Rows, Any], list], after_chunk: Callable[[], None] | None = None,
                 on_chunk: Callable[[list], None] | None = None, write_behind: bool = False):
    """Process (or carry on processing) an uploaded bulk file, recorded as `record` (a model with the bulk file's
    fields: file, state with its State choices, rows_total, rows_done, last_row_done, counts, error, started_at,
    finished_at).

    The file is checked whole first: one it cannot read is REJECTED with the reason and nothing recorded. Then
    `chunks(path, header, after_line)` yields (rows, anything worked out ahead) from the line after the last one
    committed, and each chunk is handed to `receive(rows, ahead)` in a transaction that also records the file's
    progress (outcome counts from each result's `outcome`): nothing accepted is lost if processing stops part way,
    and a restart carries on. `after_chunk()` runs after each commit, then `on_chunk(results)`.

    `write_behind` (only where `can_write_behind()`): each chunk is received and committed on a second connection,
    in a thread of its own, while `chunks` works out the next one; one chunk is in flight at a time, so `chunks`
    may count on every chunk before the last one it yielded having committed. If a chunk's write is refused as a
    conflict (an IntegrityError: another request recorded one of its rows meanwhile), what was worked out ahead
    is dropped and `chunks` starts again after the last committed row."""
    model = type(record)
    objects = model.objects.filter(pk=record.pk)
    path = Path(record.file.path)
    try:
        checked = check(path)
    except FileRejected as exc:
        objects.update(state=model.State.REJECTED, error=str(exc), finished_at=timezone.now())
        record.refresh_from_db()
        return record
    objects.update(state=model.State.RUNNING, rows_total=checked.rows_total,
                   started_at=record.started_at or timezone.now())
    record.refresh_from_db()
    with collect_garbage_between_chunks() as collect:
        def committed(results: list) -> None:
            if after_chunk:
                after_chunk()
            if on_chunk:
                on_chunk(results)
            collect()  # the chunk's objects are garbage now: this collection frees them

        if write_behind and can_write_behind():
            _write_behind(record, objects, path, checked.header, chunks, receive, committed)
        else:
            for rows, ahead in chunks(path, checked.header, record.last_row_done):
                results = _commit_chunk(record, objects, rows, ahead, receive)
                del rows, ahead
                committed(results)
                del results
    objects.update(state=model.State.DONE, finished_at=timezone.now())
    record.refresh_from_db()
    return record


def _commit_chunk(record, objects, rows: Rows, ahead, receive) -> list:
    """Receive one chunk and record the file's progress with it, in one transaction; `record` is brought up to
    date only once that has committed."""
    with transaction.atomic():
        results = receive(rows, ahead)
        counts = Counter(record.counts)
        counts.update(r.outcome for r in results)
        progress = {"counts": dict(counts), "rows_done": record.rows_done + len(results),
                    "last_row_done": rows[-1][0]}
        objects.update(**progress)
    for name, value in progress.items():
        setattr(record, name, value)
    return results


CONFLICT_RETRIES = 3


def _write_behind(record, objects, path: Path, header: list[str], chunks, receive, committed) -> None:
    """`process_file`'s loop with each chunk committed by a writer thread while the next is worked out."""
    from concurrent.futures import Future, ThreadPoolExecutor

    from django.db import IntegrityError, connections

    conflicts = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-writer") as writer:
        try:
            while True:
                source = iter(chunks(path, header, record.last_row_done))
                in_flight: Future | None = None
                try:
                    for rows, ahead in source:  # the next chunk is worked out while the one in flight is written
                        if in_flight is not None:
                            committed(in_flight.result())
                            conflicts = 0
                        in_flight = writer.submit(_commit_chunk, record, objects, rows, ahead, receive)
                        del rows, ahead
                    if in_flight is not None:
                        committed(in_flight.result())
                    return
                except IntegrityError:
                    # Rolled back whole; what was worked out ahead counted on it, so start again after the last
                    # chunk committed (a fresh look sees what the other request recorded).
                    conflicts += 1
                    if conflicts >= CONFLICT_RETRIES:
                        raise
                finally:
                    close = getattr(source, "close", None)
                    if close:
                        close()
        finally:
            writer.submit(connections.close_all).result()  # the writer thread's own connection
