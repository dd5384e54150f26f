"""Bulk work is set-based (ARCHITECTURE): a chunk of a referral file costs the same number of queries however
many rows it holds, and every chunk of a file costs the same."""

import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.referrals import bulk
from liaison.referrals.bulk import batch_process
from liaison.referrals.models import Channel, ImportBatch
from liaison.referrals.validation import COLUMNS

pytestmark = pytest.mark.django_db


def mixed_rows(referral_data, award, n: int, tag: str) -> list[dict]:
    """Loaded, returned (faults, no benefit), duplicate, re-sent and Civil Penalty rows, `n` of each kind."""
    rows = []
    for i in range(n):
        good = referral_data(la_reference=f"{tag}/OP/{i}")
        award(good["nino"])
        rows += [
            good,
            referral_data(la_reference=f"{tag}/BAD/{i}", nino="QQ123456A"),
            referral_data(la_reference=f"{tag}/NB/{i}"),
            dict(good, la_reference=f"{tag}/DUP/{i}"),
            dict(good),
            dict(good, la_reference=f"{tag}/CP/{i}", civil_penalty="yes",
                 civil_penalty_overpayment_reference=good["la_reference"], outstanding_balance="50.00"),
        ]
    return rows


def run(la, officer, rows) -> list[int]:
    """Queries per chunk of processing the rows as one file."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    batch = ImportBatch(la=la, uploaded_by=officer, channel=Channel.FILE, original_name="f.csv")
    batch.file.save("f.csv", ContentFile(out.getvalue().encode()), save=False)
    batch.save()
    per_chunk = []
    with CaptureQueriesContext(connection) as queries:
        seen = 0

        def on_chunk(results):
            nonlocal seen
            per_chunk.append(len(queries.captured_queries) - seen)
            seen = len(queries.captured_queries)
        batch_process(batch=batch, on_chunk=on_chunk)
    return per_chunk


def test_queries_per_chunk_do_not_grow_with_its_rows_nor_from_chunk_to_chunk(la, la_officer, referral_data, award,
                                                                           monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 12)
    run(la, la_officer, mixed_rows(referral_data, award, 2, "W"))  # warm-up: what is looked up once a process
    [small] = run(la, la_officer, mixed_rows(referral_data, award, 2, "S"))  # one chunk of 12 rows
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 60)
    [large] = run(la, la_officer, mixed_rows(referral_data, award, 10, "L"))  # one chunk of 60 rows
    if connection.vendor == "postgresql":
        assert large == small
    else:  # SQLite caps the parameters of one statement, so bulk_create splits its inserts; never one per row
        assert small <= large < small + 48
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 12)
    chunks = run(la, la_officer, mixed_rows(referral_data, award, 6, "M"))  # three chunks of 12
    # The first chunk's count includes the file's own set-up (check, state, rate table); then each is the same.
    assert chunks[0] == small and chunks[1] == chunks[2] < small
