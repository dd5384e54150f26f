"""Bulk CSV files from LAs (referrals, changes of circumstances): checked as a whole first, then streamed.

A file that cannot be read is rejected whole with one clear reason (`FileRejected`); a row that cannot be read is
yielded with its own faults, so it is reported by row and field while the good rows go ahead. Each kind of file
names its columns and what one row is ("referral", "change"); the wording is otherwise the same for every file.
"""

from __future__ import annotations

import codecs
import csv
import logging
import threading
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.utils import timezone

from liaison.core.bulk import collect_garbage_between_chunks

MAX_FIELD_CHARS = 1000
csv.field_size_limit(MAX_FIELD_CHARS * 4)

logger = logging.getLogger(__name__)


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

    `write_behind` (only where `can_write_behind()`): chunks are received and committed by writer threads, each on
    a connection of its own, while `chunks` works out the next one. At most IN_FLIGHT chunks are in flight, and
    they commit in the file's order, so `chunks` may count on every chunk before the last IN_FLIGHT it yielded
    having committed; a chunk whose `ahead.needs_previous` is true (it names rows of a chunk still in flight)
    starts writing only once the chunk before it has committed, or, if `ahead` has a `previous_committed`
    attribute, writes the rest at once and calls `ahead.previous_committed()` (the wait, set by the writer) before
    writing what names those rows (`_commit_chunk`). If a chunk's write is refused as a conflict (an
    IntegrityError: another request recorded one of its rows meanwhile), it and the chunks after it roll back,
    what was worked out ahead is dropped and `chunks` starts again after the last committed row."""
    model = type(record)
    objects = model.objects.filter(pk=record.pk)
    with _processing(record) as alone:
        if not alone:  # another worker is on it (a stalled file carried on while its worker was only slow)
            objects.filter(state=model.State.PENDING).update(state=model.State.RUNNING)
            record.refresh_from_db()
            return record
        return _process(record, objects, check=check, chunks=chunks, receive=receive, after_chunk=after_chunk,
                        on_chunk=on_chunk, write_behind=write_behind)


@contextmanager
def _processing(record) -> Iterator[bool]:
    """Whether this process alone is processing the file: on PostgreSQL a session advisory lock on it, held to
    the end (and let go by the server if the process dies). SQLite (development) has no such lock."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = _lock_key(record)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        alone = cursor.fetchone()[0]
    try:
        yield alone
    finally:
        if alone:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
            except DatabaseError:  # the connection is what failed: the lock went with it
                logger.warning("%s %s: advisory lock not let go; the connection had gone", type(record).__name__,
                               record.pk)


def _lock_key(record) -> tuple[int, int]:
    """The file's lock: (its table, its number), each a 32-bit integer as PostgreSQL's two-key form takes."""
    return zlib.crc32(record._meta.db_table.encode()) & 0x7FFFFFFF, record.pk & 0x7FFFFFFF


def _process(record, objects, *, check, chunks, receive, after_chunk, on_chunk, write_behind):
    model = type(record)
    path = Path(record.file.path)
    try:
        checked = check(path)
    except FileRejected as exc:
        objects.update(state=model.State.REJECTED, error=str(exc), finished_at=timezone.now())
        record.refresh_from_db()
        return record
    objects.update(state=model.State.RUNNING, rows_total=checked.rows_total, error="",
                   started_at=record.started_at or timezone.now(), progressed_at=timezone.now())
    record.refresh_from_db()
    try:
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
    except Exception:
        _stopped(record, objects)
        raise
    objects.update(state=model.State.DONE, error="", finished_at=timezone.now())
    record.refresh_from_db()
    return record


def _stopped(record, objects) -> None:
    """Processing failed part way (not the file's fault: a bug, the database gone): say so on the record, in
    words for its uploader, and keep the details for the operators' log. What committed stays, and processing the
    file again carries on after it."""
    model = type(record)
    logger.exception("%s %s stopped part way", model.__name__, record.pk)
    total = f" of {record.rows_total:,}" if record.rows_total else ""
    try:  # `record` holds what has committed (_commit_chunk brings it up to date only then)
        with transaction.atomic():
            objects.update(state=model.State.STOPPED, error=(
                f"Processing stopped after {record.rows_done:,}{total} rows because of a fault in Liaison, not in the file. "
                f"The rows done so far are recorded and will not be recorded twice; carrying on processes the "
                f"rest. If it stops again, tell the Liaison service desk, quoting file number {record.pk}."))
    except Exception:  # the database itself may be what failed: the log has it either way
        logger.exception("%s %s: could not record that processing stopped", model.__name__, record.pk)


def carry_on(record, *, then: Callable[[int], object] | None = None) -> bool:
    """Set a file that stopped part way (or stalled: its worker died without a word) to be processed again from
    its last committed row, and `then(its pk)` once that has committed (its task's `enqueue`). True if it was;
    False if it had not stopped, so asking twice queues it once."""
    model = type(record)
    with transaction.atomic():
        moved = model.objects.filter(model.may_carry_on(), pk=record.pk).update(state=model.State.PENDING)
        if moved and then is not None:
            transaction.on_commit(lambda: then(record.pk))
    record.refresh_from_db()
    return bool(moved)


TURN_TIMEOUT = 900


class _Turn:
    """A chunk's commit, for the chunk after it to wait on: commits keep the file's order."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self.committed = False

    def settle(self, committed: bool) -> None:
        self.committed = committed
        self._done.set()

    def wait(self) -> None:
        # Nothing the chunk before needs is held by this one (they write different rows, and the chunks are
        # worked out so that no two hold the same LA reference), so this ends; the limit is against the unforeseen.
        if not self._done.wait(timeout=TURN_TIMEOUT):
            raise _PreviousChunkFailed(f"the chunk before did not commit within {TURN_TIMEOUT} seconds")
        if not self.committed:
            raise _PreviousChunkFailed("the chunk before did not commit")


class _PreviousChunkFailed(Exception):
    """The chunk before this one did not commit, so this one may not either (its own error is the one raised)."""


def _commit_chunk(record, objects, rows: Rows, ahead, receive, after: _Turn | None = None,
                  turn: _Turn | None = None) -> list:
    """Receive one chunk and record the file's progress with it, in one transaction; `record` is brought up to
    date only once that has committed. Written behind, it commits only after the chunk before it (`after`), and
    writes nothing before that commit if what it worked out names that chunk's rows (`ahead.needs_previous`); or,
    where `ahead` has a `previous_committed` attribute, it is given the wait, and `receive` writes at once all but
    the rows that name the chunk before's, and those after calling `ahead.previous_committed()`."""
    try:
        if after is not None:
            if getattr(ahead, "needs_previous", False):
                after.wait()
            elif hasattr(ahead, "previous_committed"):
                ahead.previous_committed = after.wait  # `receive` waits itself, before writing what names it
        with transaction.atomic():
            results = receive(rows, ahead)
            if after is not None:
                after.wait()  # holding this chunk's rows, uncommitted, until the one before has committed
            counts = Counter(record.counts)
            counts.update(r.outcome for r in results)
            progress = {"counts": dict(counts), "rows_done": record.rows_done + len(results),
                        "last_row_done": rows[-1][0], "progressed_at": timezone.now()}
            objects.update(**progress)
        for name, value in progress.items():
            setattr(record, name, value)
    except BaseException:
        if turn is not None:
            turn.settle(False)
        raise
    if turn is not None:
        turn.settle(True)
    return results


CONFLICT_RETRIES = 3
IN_FLIGHT = 2  # chunks being written at once, each on its own connection


def _write_behind(record, objects, path: Path, header: list[str], chunks, receive, committed) -> None:
    """`process_file`'s loop with chunks committed by writer threads while the next is worked out."""
    conflicts = 0
    with ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="bulk-writer") as writers:
        try:
            while True:
                source = iter(chunks(path, header, record.last_row_done))
                flights: deque = deque()  # (future, turn), oldest first
                try:
                    for rows, ahead in source:  # the next chunk is worked out while those in flight are written
                        if len(flights) == IN_FLIGHT:
                            committed(flights.popleft()[0].result())
                            conflicts = 0
                        turn = _Turn()
                        after = flights[-1][1] if flights else None
                        flights.append((writers.submit(_commit_chunk, record, objects, rows, ahead, receive, after,
                                                       turn), turn))
                        del rows, ahead
                    while flights:
                        committed(flights.popleft()[0].result())
                    return
                except IntegrityError:
                    # Rolled back whole, and every chunk after it with it; what was worked out ahead counted on
                    # them, so start again after the last chunk committed (a fresh look sees what the other
                    # request recorded).
                    conflicts += 1
                    if conflicts >= CONFLICT_RETRIES:
                        raise
                finally:
                    close = getattr(source, "close", None)
                    if close:
                        close()
                    wait_all([future for future, _ in flights])  # those after a failed one roll back
        finally:
            # Each writer thread closes its own connection: one task each (a barrier keeps one thread from taking
            # two), the pool starting a thread for any it has not started yet.
            together = threading.Barrier(IN_FLIGHT)

            def close() -> None:
                try:
                    together.wait(timeout=30)
                except threading.BrokenBarrierError:
                    pass
                finally:
                    connections.close_all()

            for closing in [writers.submit(close) for _ in range(IN_FLIGHT)]:
                closing.result()
