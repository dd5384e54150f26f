"""`core.csvfile.process_file(write_behind=True)`: chunks are written at once by writer threads on connections of
their own, and commit in the file's order; a chunk that names rows of the chunk before it starts writing only
once that has committed (ADR 0014)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from liaison.core import csvfile
from liaison.referrals import bulk

from ..referrals.test_bulk_file import csv_text, new_batch

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("writing behind is PostgreSQL's (SQLite has one writer); run with DATABASE_URL")


def test_chunks_are_written_at_once_commit_in_order_and_one_naming_the_one_before_waits_for_its_commit(
        la, la_officer, referral_data):
    batch = new_batch(la, la_officer, csv_text(*[referral_data() for _ in range(8)]))
    log: list[tuple[str, int]] = []
    lock = threading.Lock()
    slow = {0: 0.6, 1: 0.1, 2: 0.8}  # seconds each chunk's write takes

    def note(what: str, n: int) -> None:
        with lock:
            log.append((what, n))

    def chunks(path, header, after_line):
        rows = list(bulk.iter_rows(path, header, after_line=after_line))
        for n, start in enumerate(range(0, len(rows), 2)):
            yield rows[start:start + 2], SimpleNamespace(n=n, needs_previous=n == 3)

    def receive(rows, ahead):
        note("start", ahead.n)
        time.sleep(slow.get(ahead.n, 0))
        note("end", ahead.n)
        transaction.on_commit(lambda: note("commit", ahead.n))
        return [SimpleNamespace(outcome="SEEN") for _ in rows]

    done = csvfile.process_file(batch, check=bulk.check_file, chunks=chunks, receive=receive, write_behind=True)

    assert (done.state, done.rows_done, done.last_row_done, done.counts) == (batch.State.DONE, 8, 9, {"SEEN": 8})
    assert [n for what, n in log if what == "commit"] == [0, 1, 2, 3]
    assert log.index(("start", 1)) < log.index(("commit", 0))  # two chunks written at once
    assert log.index(("end", 1)) < log.index(("commit", 0))  # chunk 1 was done first, and waited to commit
    assert log.index(("start", 3)) > log.index(("commit", 2))  # it names chunk 2's rows: it waited to start
