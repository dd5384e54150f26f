"""A bulk file written behind (PostgreSQL, ADR 0014): each chunk is recorded and committed on a second connection
while the next is scrutinised against what is held plus the chunk in flight.

It must record exactly what processing one chunk at a time records, including where a row depends on a row of
the chunk before it (a re-send, a Civil Penalty's overpayment, a duplicate); a conflict with another request
starts again after the last committed chunk; a failure keeps what committed and a restart carries on."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from liaison.core import csvfile
from liaison.core.bulk import bulk_insert, unsaved
from liaison.core.models import Case, Event
from liaison.notices import services as notices_services
from liaison.notices.models import Notice, OutboxMessage
from liaison.recovery.models import InstalmentPlan
from liaison.referrals import bulk, fanout, services
from liaison.referrals.bulk import batch_process, results_rows
from liaison.referrals.models import Channel, ImportBatch, Referral, Status

from .test_bulk_file import csv_text, new_batch
from .test_fanout import MODELS, written

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("writing behind is PostgreSQL's (SQLite has one writer); run with DATABASE_URL")


class _Undo(Exception):
    pass


def _file(referral_data, award) -> list[dict]:
    """Twelve rows in chunks of four, each chunk leaning on the one before it."""
    a, c, d = (referral_data(la_reference=f"WB/{n}") for n in "ACD")
    for row in (a, c, d):
        award(row["nino"])
    e = referral_data(la_reference="WB/E")
    award(e["nino"])
    return [
        # chunk 1
        a, referral_data(la_reference="WB/B", postcode="NOWHERE"), c, d,
        # chunk 2: each row depends on chunk 1, which is still being written while this chunk is scrutinised
        dict(a),  # a re-send of a row of the chunk before
        dict(a, la_reference="WB/CP-A", civil_penalty="yes", civil_penalty_overpayment_reference="WB/A",
             outstanding_balance="40.00"),  # a Civil Penalty of the chunk before's overpayment
        dict(d, la_reference="WB/DUP-D"),  # a duplicate of the chunk before's D
        dict(c, la_reference="WB/NEAR-C", outstanding_balance="12.34"),  # a near duplicate: queued
        # chunk 3: on chunk 2
        dict(a, la_reference="WB/CP-A"),  # the Civil Penalty sent again
        dict(c, la_reference="WB/NEAR-C2", outstanding_balance="12.34"),  # duplicates the queued near one
        e, dict(e),  # a row repeated within one chunk
        # chunk 4: on chunks 1 and 3
        dict(e), dict(a, la_reference="WB/CP-A2", civil_penalty="yes", civil_penalty_overpayment_reference="WB/A",
                      outstanding_balance="41.00"),  # near the Civil Penalty of chunk 2: queued
        dict(c), referral_data(la_reference="WB/NB"),
    ]


def _run(batch, *, write_behind: bool, monkeypatch) -> tuple[list[tuple], dict]:
    """Process `batch`, written behind or one chunk at a time (a caller's transaction rules writing behind out),
    and what it recorded; the one-at-a-time run is undone afterwards."""
    used = []
    real = csvfile._write_behind
    monkeypatch.setattr(csvfile, "_write_behind", lambda *a, **k: used.append(1) or real(*a, **k))
    since = {m: m.objects.order_by("-pk").values_list("pk", flat=True).first() or 0 for m in MODELS}
    emitted: list = []

    def run():
        done = batch_process(batch=batch, on_chunk=emitted.extend)
        results = [(r.row, r.outcome, r.detail, [f["field"] for f in r.faults]) for r in results_rows(done)]
        assert [(r.row, r.outcome) for r in emitted] == [(r[0], r[1]) for r in results]  # each row once, in order
        return results, written(since), done.state

    if write_behind:
        results, rows, done = run()
    else:
        try:
            with transaction.atomic():
                results, rows, done = run()
                raise _Undo
        except _Undo:
            batch.refresh_from_db()
    assert bool(used) == write_behind
    assert done == ImportBatch.State.DONE
    return results, rows


def test_written_behind_it_records_what_one_chunk_at_a_time_records(la, la_officer, referral_data, award,
                                                                     monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 4)
    delivered = []  # the e-mails go after each commit (not in the undone run): compared as scheduled, not sent
    monkeypatch.setattr(notices_services, "_deliver", lambda: delivered.append(1))
    frozen = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    batch = new_batch(la, la_officer, csv_text(*_file(referral_data, award)))
    writes = _write_each_chunk_only_once_the_next_is_prepared(monkeypatch)

    one_at_a_time = _run(batch, write_behind=False, monkeypatch=monkeypatch)
    assert Referral.objects.count() == 0  # undone
    connections_before = _connections()
    behind = _run(batch, write_behind=True, monkeypatch=monkeypatch)

    outcomes = [(row, outcome) for row, outcome, *_ in behind[0]]
    assert outcomes == [
        (2, Status.LOADED), (3, Status.RETURNED_NON_QUALITY), (4, Status.LOADED), (5, Status.LOADED),
        (6, "RESENT"), (7, Status.LOADED), (8, Status.NOT_LOADED_DUPLICATE), (9, Status.QUEUED),
        (10, "RESENT"), (11, Status.NOT_LOADED_DUPLICATE), (12, Status.LOADED), (13, "RESENT"),
        (14, "RESENT"), (15, Status.QUEUED), (16, "RESENT"), (17, Status.RETURNED_NO_BENEFIT),
    ]
    assert behind[0] == one_at_a_time[0]
    for table, expected in one_at_a_time[1].items():
        got = behind[1][table]
        if table in _KEYED_AS_WRITTEN:
            # Written behind, a chunk writes its rows that name the chunk before's (a re-send's, a Civil Penalty's)
            # after the rest, once that chunk has committed; events and e-mails take their keys as they are written,
            # so their order across cases differs. Each case's (each notice's) own order is the same.
            by = _KEYED_AS_WRITTEN[table]
            got, expected = (sorted(rows, key=lambda r: repr(r[by])) for rows in (got, expected))
        assert len(got) == len(expected), table
        for a, b in zip(got, expected, strict=True):
            assert {k: (a.get(k), b.get(k)) for k in a.keys() | b.keys() if a.get(k) != b.get(k)} == {}, table
    # Each chunk written once: none was refused for a re-send the chunk in flight held (which the database's
    # one-live-reference index would catch, sending the file back to its last commit), and none missed a duplicate.
    assert len(writes) == 4
    assert len(delivered) == 4  # once a chunk
    cp = Referral.objects.get(la_reference="WB/CP-A")
    assert cp.penalty_overpayment.la_reference == "WB/A" and cp.debt.overpayment == cp.penalty_overpayment.debt
    assert _connections() == connections_before  # the writer's connection is closed


_KEYED_AS_WRITTEN = {"Event": "case_id", "OutboxMessage": "notice_id"}


def _write_each_chunk_only_once_the_next_is_prepared(monkeypatch) -> list:
    """So that every chunk after the first is scrutinised while the one before it is still uncommitted. Returns
    the list of chunks written (one item each)."""
    prepared, written_ = [], []
    change = threading.Condition()
    real_prepare, real_record = bulk.referrals_prepare, bulk.referrals_record

    def prepare(**kwargs):
        result = real_prepare(**kwargs)
        with change:
            prepared.append(1)
            change.notify_all()
        return result

    def record(chunk):
        with change:
            change.wait_for(lambda: len(prepared) > len(written_) + 1, timeout=3)  # the last chunk: no next one
            written_.append(1)
        return real_record(chunk)

    monkeypatch.setattr(bulk, "referrals_prepare", prepare)
    monkeypatch.setattr(bulk, "referrals_record", record)
    return written_


def _connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _meanwhile(la, la_reference: str) -> None:
    """Another request records (and commits) a referral with this LA reference, on its own connection."""
    def record():
        try:
            now = timezone.now()
            case = Case.objects.create(la=la, opened_at=now)
            bulk_insert([unsaved(Referral, case=case, la=la, channel=Channel.API, received_at=now,
                                 status=Status.QUEUED, la_reference=la_reference, nino="JH999999D")])
        finally:
            connections.close_all()
    thread = threading.Thread(target=record)
    thread.start()
    thread.join()


def test_a_reference_recorded_meanwhile_by_another_request_sends_the_file_back_to_its_last_commit(
        la, la_officer, referral_data, award, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
    rows = [referral_data(la_reference=f"WB/R/{n}") for n in range(6)]
    for row in rows:
        award(row["nino"])
    batch = new_batch(la, la_officer, csv_text(*rows))
    real, calls = bulk.referrals_record, []

    def record(prepared):
        calls.append([i.row for i in prepared.items])
        if len(calls) == 2:  # chunk 2 is about to be written: another request records its second reference
            _meanwhile(la, "WB/R/3")
        return real(prepared)

    monkeypatch.setattr(bulk, "referrals_record", record)
    emitted: list = []
    done = batch_process(batch=batch, on_chunk=emitted.extend)

    # Chunk 2 was refused whole and, with what had been worked out after it, done again from the last commit.
    assert calls == [[2, 3], [4, 5], [6, 7], [4, 5], [6, 7]]
    assert [(r.row, r.outcome) for r in emitted] == [
        (2, Status.LOADED), (3, Status.LOADED), (4, Status.LOADED), (5, "RESENT"), (6, Status.LOADED),
        (7, Status.LOADED)]
    assert (done.state, done.rows_done, done.counts) == (ImportBatch.State.DONE, 6, {"LOADED": 5, "RESENT": 1})
    assert Referral.objects.filter(la_reference="WB/R/3").count() == 1  # the other request's
    assert Referral.objects.filter(import_batch=batch).count() == 5
    assert Case.objects.count() == 6 and Event.objects.filter(kind="referral.resent").count() == 1
    # Each committed chunk's notices were e-mailed after its commit, by the writer's own hook.
    assert OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT).count() == Notice.objects.count() == 5
    assert len(mail.outbox) == 5


def test_a_writer_that_fails_keeps_what_committed_and_the_batch_carries_on_to_the_same_end(
        la, la_officer, referral_data, award, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
    rows = [referral_data(la_reference=f"WB/F/{n}") for n in range(7)]
    for row in rows[:-1]:
        award(row["nino"])
    batch = new_batch(la, la_officer, csv_text(*rows, rows[0]))
    real, calls = bulk.referrals_record, []

    def record(prepared):
        calls.append(1)
        result = real(prepared)
        if len(calls) == 3:
            raise DatabaseError("server closed the connection unexpectedly")  # before chunk 3 commits
        return result

    monkeypatch.setattr(bulk, "referrals_record", record)
    with pytest.raises(DatabaseError):
        batch_process(batch=batch)
    batch.refresh_from_db()
    assert (batch.state, batch.rows_done, batch.last_row_done) == (ImportBatch.State.STOPPED, 4, 5)
    assert sorted(Referral.objects.values_list("source_row", flat=True)) == [2, 3, 4, 5]

    monkeypatch.setattr(bulk, "referrals_record", real)
    done = batch_process(batch=batch)
    assert (done.state, done.rows_done, done.counts) == (
        ImportBatch.State.DONE, 8, {"LOADED": 6, "RETURNED_NO_BENEFIT": 1, "RESENT": 1})
    assert [r.row for r in results_rows(done)] == list(range(2, 10))
    assert Referral.objects.count() == 7


def test_a_file_is_processed_by_one_worker_at_a_time(la, la_officer, referral_data, award):
    """A stalled file carried on while its first worker was only slow: the second worker leaves it to the first."""
    row = referral_data(la_reference="WB/ONE/1")
    award(row["nino"])
    batch = new_batch(la, la_officer, csv_text(row))
    first = connections.create_connection("default")  # the first worker's session, still holding the file
    try:
        with first.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", csvfile._lock_key(batch))
        ImportBatch.objects.filter(pk=batch.pk).update(state="PENDING")
        second = batch_process(batch=batch)
        assert (second.state, second.rows_done, Referral.objects.count()) == ("RUNNING", 0, 0)
    finally:
        first.close()  # the first worker dies: the server lets its lock go
    done = batch_process(batch=batch)
    assert (done.state, done.rows_done, Referral.objects.count()) == ("DONE", 1, 1)


def test_the_reader_looks_each_chunk_up_in_the_registers_ahead(la, la_officer, referral_data, award, monkeypatch):
    """Written behind, the benefit register and the instalment plans are asked by the file's reader thread, for
    the next chunk while this one is scrutinised: the main thread waits for neither."""
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
    rows = [referral_data(la_reference=f"WB/REG/{n}") for n in range(5)]
    for row in rows[:4]:
        award(row["nino"])
    InstalmentPlan.objects.create(nino=rows[1]["nino"], reference="IP-WB", start=timezone.localdate())
    asked_by, real = [], services.Registers.look_up

    def look_up(cls, ninos, *, today):
        asked_by.append(threading.current_thread().name)
        return real(ninos, today=today)

    monkeypatch.setattr(services.Registers, "look_up", classmethod(look_up))
    done = batch_process(batch=new_batch(la, la_officer, csv_text(*rows)))
    assert [(r.row, r.outcome) for r in results_rows(done)] == [
        (2, Status.LOADED), (3, Status.NOT_LOADED_INSTALMENT_PLAN), (4, Status.LOADED), (5, Status.LOADED),
        (6, Status.RETURNED_NO_BENEFIT)]
    assert len(asked_by) == 3 and all(name.startswith("referral-file-reader") for name in asked_by)


def test_a_chunk_naming_the_one_in_flight_writes_the_rest_before_that_one_commits(la, la_officer, referral_data,
                                                                                   award, monkeypatch):
    """Only the rows naming the chunk in flight wait for its commit; the rest of the chunk is written meanwhile
    (so the two writers work at once, as they do on chunks that name nothing in flight)."""
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
    a, b, c = (referral_data(la_reference=f"WB/PAR/{n}") for n in "ABC")
    for row in (a, b, c):
        award(row["nino"])
    penalty = dict(a, la_reference="WB/PAR/CP", civil_penalty="yes", civil_penalty_overpayment_reference="WB/PAR/A",
                   outstanding_balance="40.00")
    batch = new_batch(la, la_officer, csv_text(a, b, c, penalty))  # chunk 2: C, and A's Civil Penalty
    columns = [name for name, _ in fanout._COLUMNS]
    reference, later = columns.index("la_reference"), columns.index("later")  # a later row: only its case now
    writes, second_wrote = [], threading.Event()
    real_write, real_record = fanout.write, bulk.referrals_record

    def write(staged):
        refs = [row[reference] for row in staged.rows if not row[later]]
        writes.append(refs)
        real_write(staged)
        if "WB/PAR/C" in refs:
            second_wrote.set()

    held_for_it = []

    def record(prepared):
        results = real_record(prepared)
        if prepared.items[0].clean.la_reference == "WB/PAR/A":  # chunk 1 keeps its commit until C is written
            held_for_it.append(second_wrote.wait(timeout=10))
        return results

    monkeypatch.setattr(fanout, "write", write)
    monkeypatch.setattr(bulk, "referrals_record", record)
    done = batch_process(batch=batch)
    assert held_for_it == [True]  # C was written while chunk 1 was still uncommitted
    assert writes == [["WB/PAR/A", "WB/PAR/B"], ["WB/PAR/C"], ["WB/PAR/CP"]]
    assert [(r.row, r.outcome) for r in results_rows(done)] == [
        (2, Status.LOADED), (3, Status.LOADED), (4, Status.LOADED), (5, Status.LOADED)]
    cp = Referral.objects.get(la_reference="WB/PAR/CP")
    assert cp.penalty_overpayment.la_reference == "WB/PAR/A" and cp.debt.overpayment == cp.penalty_overpayment.debt
