"""Bulk files of referrals (`liaison.referrals.bulk` and the upload page `/files/new/`).

A file that cannot be read as a whole is refused with one clear reason and nothing recorded; every row of a
readable file gets its own outcome with every fault by row and field; a file sent again is recognised row by
row; a batch stopped part way keeps what it committed and carries on to the same end state as a clean run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from liaison.core.models import Case, Event
from liaison.notices.models import Notice
from liaison.recovery.models import Debt
from liaison.referrals import bulk
from liaison.referrals.bulk import FileRejected, batch_process, check_file, results_rows
from liaison.referrals.models import Channel, ImportBatch, ImportRow, Referral
from liaison.referrals.validation import COLUMNS

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def csv_text(*rows: dict, columns: list[str] = COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write(tmp_path: Path, content: str | bytes, name: str = "referrals.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def new_batch(la, officer, content: str | bytes, name: str = "referrals.csv") -> ImportBatch:
    raw = content.encode() if isinstance(content, str) else content
    batch = ImportBatch(la=la, uploaded_by=officer, channel=Channel.FILE, original_name=name, size_bytes=len(raw))
    batch.file.save(name, ContentFile(raw), save=False)
    batch.save()
    return batch


def outcomes(batch: ImportBatch) -> list[tuple]:
    """(row, outcome, [(field, message), …]) for every row of the file, in file order."""
    return [(r.row, r.outcome, [(f["field"], f["message"]) for f in r.faults]) for r in results_rows(batch)]


def rejected(path: Path) -> str:
    with pytest.raises(FileRejected) as exc:
        check_file(path)
    return str(exc.value)


FORMULA = "must not start with =, +, -, @ or a tab (it looks like a spreadsheet formula)"


# --- One file, good and bad rows -------------------------------------------------------------------------------

def test_each_row_gets_its_own_outcome_with_every_fault_by_row_and_field(la, la_officer, referral_data, award):
    good = referral_data()
    award(good["nino"])
    faulty = referral_data(nino="QQ123456A", postcode="NOWHERE", la_reference="LDS/F/2")
    no_benefit = referral_data(la_reference="LDS/F/3")
    formula = referral_data(customer_name="=cmd|' /C calc'!A0", address_line_1="+1", la_reference="@x",
                            outstanding_balance="+1")
    batch = batch_process(batch=new_batch(la, la_officer, csv_text(good, faulty, no_benefit, formula)))

    assert batch.state == ImportBatch.State.DONE
    assert (batch.rows_total, batch.rows_done, batch.last_row_done) == (4, 4, 5)
    assert batch.counts == {"LOADED": 1, "RETURNED_NON_QUALITY": 2, "RETURNED_NO_BENEFIT": 1}
    assert outcomes(batch) == [
        (2, "LOADED", []),
        (3, "RETURNED_NON_QUALITY", [("postcode", "Enter a real UK postcode, like SW1A 2AA"),
                                     ("nino", "National Insurance number prefix QQ is not one HMRC issues")]),
        (4, "RETURNED_NO_BENEFIT", []),
        (5, "RETURNED_NON_QUALITY", [("customer_name", f"Customer's name {FORMULA}"),
                                     ("address_line_1", f"Address line 1 {FORMULA}"),
                                     ("la_reference", f"LA reference number {FORMULA}"),
                                     ("outstanding_balance",
                                      "Outstanding balance must be an amount in pounds and pence, like 1234.56")]),
    ]
    assert list(Referral.objects.order_by("source_row").values_list("source_row", "channel", "import_batch")) == [
        (2, "FILE", batch.pk), (3, "FILE", batch.pk), (4, "FILE", batch.pk), (5, "FILE", batch.pk)]
    assert list(Notice.objects.order_by("id").values_list("code", flat=True)) == ["HBREC", "LARETM", "LARET",
                                                                                  "LARETM"]
    assert Debt.objects.count() == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("customer_name", "=cmd", f"Customer's name {FORMULA}"),
    ("customer_name", "@SUM(A1)", f"Customer's name {FORMULA}"),
    ("address_line_2", "+1", f"Address line 2 {FORMULA}"),
    ("address_line_3", "-2+3", f"Town or city {FORMULA}"),
    ("la_reference", "@x", f"LA reference number {FORMULA}"),
    ("reason_other", "\t=1", f"Other reason {FORMULA}"),
    ("amount_recovered", "=1+1", "Amount already recovered by LA must be an amount in pounds and pence, like 1234.56"),
    ("nino", "=A1", "National Insurance number must be 2 letters, 6 numbers and a letter A to D, like AB 12 34 56 C"),
])
def test_a_formula_cell_is_a_fault_of_its_row(la, la_officer, referral_data, field, value, message):
    overrides = {field: value, "reason": "OTHER"} if field == "reason_other" else {field: value}
    batch = batch_process(batch=new_batch(la, la_officer, csv_text(referral_data(**overrides))))
    [(row, outcome, faults)] = outcomes(batch)
    assert (row, outcome) == (2, "RETURNED_NON_QUALITY")
    assert (field, message) in faults


# --- Files refused as a whole ------------------------------------------------------------------------------------

def test_a_file_that_is_not_utf8_is_refused_naming_the_line(tmp_path, referral_data):
    content = csv_text(referral_data(), referral_data(address_line_2="Flat £5")).encode("cp1252")
    assert rejected(write(tmp_path, content)) == (
        "The file is not UTF-8 text (near line 3). Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' "
        "and upload it again.")


@pytest.mark.parametrize(("header", "message"), [
    ([c for c in COLUMNS if c not in ("nino", "postcode")],
     ("The header row does not match the template: it has no column 'postcode', 'nino'. See the column guide for "
      "the exact names.")),
    ([*COLUMNS, "favourite_colour"],
     ("The header row does not match the template: column 'favourite_colour' is not part of the referral form. "
      "See the column guide for the exact names.")),
    ([*COLUMNS, "nino"],
     ("The header row does not match the template: column 'nino' appears more than once. See the column guide "
      "for the exact names.")),
    ([c for c in COLUMNS if c != "cause"] + ["Cause ", "notes", "notes"],  # names are trimmed and lower-cased
     ("The header row does not match the template: column 'notes', 'notes' are not part of the referral form; "
      "column 'notes' appears more than once. See the column guide for the exact names.")),
    ([*COLUMNS, ""],
     ("The header row does not match the template: column '' is not part of the referral form. See the column "
      "guide for the exact names.")),
])
def test_a_header_that_does_not_match_the_template_is_refused_naming_the_columns(tmp_path, header, message):
    assert rejected(write(tmp_path, ",".join(header) + "\r\n" + ",".join("x" * len(header)) + "\r\n")) == message


def test_column_names_are_read_in_any_order_and_case(la, la_officer, referral_data, award, tmp_path):
    data = referral_data()
    award(data["nino"])
    columns = list(reversed(COLUMNS))
    content = csv_text(data, columns=columns).replace(",".join(columns), ",".join(c.upper() for c in columns), 1)
    batch = batch_process(batch=new_batch(la, la_officer, content))
    assert outcomes(batch) == [(2, "LOADED", [])]


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(tmp_path, settings):
    assert settings.LIAISON_MAX_IMPORT_BYTES == 60 * 1024 * 1024  # what the upload page and docs/referral-file.md say
    path = tmp_path / "huge.csv"
    with open(path, "wb") as fh:  # a sparse 70 MB file: instant to make, and never read
        fh.truncate(70 * 1024 * 1024)
    assert rejected(path) == ("The file is 70.0 MB; the largest file Liaison accepts is 60 MB. Split it into "
                              "smaller files.")


def test_a_file_just_over_the_configured_limit_is_refused(tmp_path, settings):
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:
        fh.truncate(settings.LIAISON_MAX_IMPORT_BYTES + 1)
    assert rejected(path).startswith("The file is ")


def test_a_file_with_more_rows_than_allowed_is_refused(tmp_path, referral_data, settings):
    settings.LIAISON_MAX_IMPORT_ROWS = 2
    path = write(tmp_path, csv_text(referral_data(), referral_data(), referral_data()))
    assert rejected(path) == "The file has 3 referrals; the most one file may hold is 2. Split it into smaller files."


@pytest.mark.parametrize(("content", "message"), [
    (b"", "The file is empty. Use the template: a header row, then one referral a row."),
    (b"\r\n\r\n", "The file has no header row. The first row must name the columns."),
    (b",,,\r\n", "The file has no header row. The first row must name the columns."),
    ((HEADER + "\r\n").encode(), "The file has a header row but no referrals in it."),
    ((HEADER + "\r\n,,,,\r\n\r\n   \r\n").encode(), "The file has a header row but no referrals in it."),
    ((HEADER + "\r\nE08000035,2025-01-01\x00\r\n").encode(),
     "The file is not a CSV text file (it contains binary data). Save it from your spreadsheet as 'CSV UTF-8'."),
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100,
     "The file is not a CSV text file (it contains binary data). Save it from your spreadsheet as 'CSV UTF-8'."),
])
def test_an_unreadable_file_is_refused_with_a_clear_reason(tmp_path, content, message):
    assert rejected(write(tmp_path, content)) == message


def test_a_refused_file_records_nothing_and_the_batch_says_why(la, la_officer):
    batch = batch_process(batch=new_batch(la, la_officer, "nino,customer_name\r\nJH100001C,Ann\r\n"))
    assert batch.state == ImportBatch.State.REJECTED
    assert batch.error.startswith("The header row does not match the template: it has no column 'la_code'")
    assert batch.finished_at is not None
    assert not (Referral.objects.exists() or Case.objects.exists() or Event.objects.exists())


# --- Rows that cannot be read whole ------------------------------------------------------------------------------

def test_rows_with_too_many_or_too_few_cells_are_returned_with_a_row_fault(la, la_officer, referral_data, award):
    good = referral_data()
    award(good["nino"])
    values = [good[c] for c in COLUMNS]
    lines = [HEADER,
             ",".join([*values[:-1], "1234.56", "surplus"]).replace(good["la_reference"], "LDS/MANY/1"),
             ",".join(values[:5]).replace(good["la_reference"], "LDS/FEW/1"),
             ",".join(values)]
    batch = batch_process(batch=new_batch(la, la_officer, "\r\n".join(lines) + "\r\n"))
    rows = outcomes(batch)
    assert rows[0] == (2, "RETURNED_NON_QUALITY",
                       [("row", f"Row has {len(COLUMNS) + 1} values but the header has {len(COLUMNS)} columns")])
    assert rows[1][:2] == (3, "RETURNED_NON_QUALITY")
    assert rows[1][2][0] == ("row", f"Row has 5 values but the header has {len(COLUMNS)} columns")
    assert {f for f, _ in rows[1][2][1:]} >= {"nino", "la_reference", "outstanding_balance"}  # and every missing one
    assert rows[2] == (4, "LOADED", [])


def test_an_overlong_field_is_a_fault_and_a_huge_one_leaves_the_rest_of_the_file_readable(
        la, la_officer, referral_data, award):
    long_row = referral_data(address_line_2="a" * 2_000, la_reference="LDS/LONG/1")
    huge_row = referral_data(address_line_2="b" * 100_000, la_reference="LDS/HUGE/1")
    after = referral_data()
    award(after["nino"])
    batch = new_batch(la, la_officer, csv_text(long_row, huge_row, after))
    assert batch_process(batch=batch).rows_total == 3  # a broken row must not stop the count
    rows = outcomes(batch)
    assert rows[0] == (2, "RETURNED_NON_QUALITY", [("row", "Address line 2 is far too long (2,000 characters)")])
    assert rows[1][:2] == (3, "RETURNED_NON_QUALITY")
    assert rows[1][2][0] == ("row", "Row cannot be read as CSV: a value is far too long (over 4,000 characters)")
    assert rows[2] == (4, "LOADED", [])
    assert Referral.objects.get(source_row=2).address_line_2 == ""
    assert max(len(str(v)) for v in Referral.objects.get(source_row=2).submitted.values()) <= 300


def test_a_byte_order_mark_is_ignored(la, la_officer, referral_data, award):
    data = referral_data()
    award(data["nino"])
    batch = batch_process(batch=new_batch(la, la_officer, "\ufeff" + csv_text(data)))
    assert outcomes(batch) == [(2, "LOADED", [])]


def test_quoted_cells_are_read_as_one_cell_and_a_row_is_numbered_by_the_line_it_ends_on(
        la, la_officer, referral_data, award):
    quoted = referral_data(address_line_2='Flat 3, "Rear"')
    award(quoted["nino"])
    broken = referral_data(address_line_2="Flat 3\nRear Block")
    last = referral_data(postcode="X")
    batch = batch_process(batch=new_batch(la, la_officer, csv_text(quoted, broken, last)))
    assert outcomes(batch) == [
        (2, "LOADED", []),
        (4, "RETURNED_NON_QUALITY", [("address_line_2", "Address line 2 must not contain control characters")]),
        (5, "RETURNED_NON_QUALITY", [("postcode", "Enter a real UK postcode, like SW1A 2AA")]),
    ]
    assert Referral.objects.get(source_row=2).address_line_2 == 'Flat 3, "Rear"'


# --- Sending the same file again ---------------------------------------------------------------------------------

def test_the_same_file_sent_again_is_recognised_row_by_row_and_nothing_is_loaded_twice(la, la_officer,
                                                                                      referral_data, award):
    rows = [referral_data() for _ in range(3)]
    for row in rows:
        award(row["nino"])
    content = csv_text(*rows)
    first = batch_process(batch=new_batch(la, la_officer, content))
    assert first.counts == {"LOADED": 3}
    counts_before = (Referral.objects.count(), Debt.objects.count(), Notice.objects.count(), Case.objects.count())

    again = batch_process(batch=new_batch(la, la_officer, content))
    assert again.counts == {"RESENT": 3}
    originals = {r.la_reference: r.pk for r in Referral.objects.all()}
    assert [(r.row, r.outcome, r.referral_id, r.detail) for r in results_rows(again)] == [
        (n, "RESENT", originals[row["la_reference"]],
         f"Already received: referral {row['la_reference']} is held (Loaded for recovery)")
        for n, row in zip((2, 3, 4), rows, strict=True)]
    assert (Referral.objects.count(), Debt.objects.count(), Notice.objects.count(),
            Case.objects.count()) == counts_before
    assert ImportRow.objects.filter(batch=again).count() == 3
    assert Event.objects.filter(kind="referral.resent").count() == 3


def test_a_returned_row_sent_again_is_scrutinised_again_and_a_row_repeated_in_one_file_is_not_loaded_twice(
        la, la_officer, referral_data, award):
    good, bad = referral_data(), referral_data(postcode="X")
    award(good["nino"])
    first = batch_process(batch=new_batch(la, la_officer, csv_text(good, bad, good)))
    assert outcomes(first) == [
        (2, "LOADED", []),
        (3, "RETURNED_NON_QUALITY", [("postcode", "Enter a real UK postcode, like SW1A 2AA")]),
        (4, "RESENT", [("la_reference", "Same LA reference as row 2 of this file; not loaded twice")]),
    ]
    again = batch_process(batch=new_batch(la, la_officer, csv_text(good, bad)))
    assert again.counts == {"RESENT": 1, "RETURNED_NON_QUALITY": 1}  # a returned referral holds no reference
    assert Debt.objects.count() == 1


# --- Stopped part way ----------------------------------------------------------------------------------------------

def _rows(referral_data, award, la_code: str, prefix: str, nino_base: int) -> list[dict]:
    rows = []
    for i in range(7):
        nino = f"JH{nino_base + i:06d}C"
        data = referral_data(la_code=la_code, la_reference=f"{prefix}/{i}", nino=nino)
        if i == 3:
            data["postcode"] = "X"  # a returned row in the middle
        if i != 5:
            award(nino)  # row 5: no prescribed benefit
        rows.append(data)
    return rows


def test_a_batch_stopped_part_way_keeps_what_it_committed_and_carries_on_to_the_same_end(
        la, la_officer, other_la, other_la_officer, referral_data, award, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 3)
    clean = batch_process(batch=new_batch(other_la, other_la_officer,
                                          csv_text(*_rows(referral_data, award, other_la.code, "CDF", 700000))))

    real_receive = bulk.referrals_receive
    calls = []

    def crash_on_second_chunk(**kwargs):
        calls.append(len(kwargs["rows"]))
        if len(calls) == 2:
            real_receive(**kwargs)  # the chunk's work is done, then the worker dies before it commits
            raise SystemError("worker killed")
        return real_receive(**kwargs)

    monkeypatch.setattr(bulk, "referrals_receive", crash_on_second_chunk)
    batch = new_batch(la, la_officer, csv_text(*_rows(referral_data, award, la.code, "LDS", 800000)))
    with pytest.raises(SystemError):
        batch_process(batch=batch)

    batch.refresh_from_db()
    assert (batch.state, batch.rows_done, batch.last_row_done) == (ImportBatch.State.STOPPED, 3, 4)
    assert batch.error.startswith("Processing stopped after 3 of 7 rows because of a fault in Liaison, not in the file")
    assert f"file number {batch.pk}" in batch.error and "worker killed" not in batch.error  # internals stay in the log
    assert sorted(Referral.objects.filter(la=la).values_list("source_row", flat=True)) == [2, 3, 4]
    assert batch.counts == {"LOADED": 3}

    monkeypatch.setattr(bulk, "referrals_receive", real_receive)
    batch = batch_process(batch=batch)
    assert calls == [3, 3]
    assert (batch.state, batch.rows_total, batch.rows_done, batch.last_row_done) == (ImportBatch.State.DONE, 7, 7, 8)
    assert batch.counts == clean.counts == {"LOADED": 5, "RETURNED_NON_QUALITY": 1, "RETURNED_NO_BENEFIT": 1}
    assert [(row, outcome, faults) for row, outcome, faults in outcomes(batch)] == outcomes(clean)
    assert sorted(Referral.objects.filter(la=la).values_list("source_row", flat=True)) == [2, 3, 4, 5, 6, 7, 8]
    assert Debt.objects.filter(la=la).count() == 5
    assert Notice.objects.filter(la=la).count() == Notice.objects.filter(la=other_la).count() == 7


def test_running_a_finished_batch_again_changes_nothing(la, la_officer, referral_data, award):
    data = referral_data()
    award(data["nino"])
    batch = batch_process(batch=new_batch(la, la_officer, csv_text(data)))
    before = (Referral.objects.count(), Event.objects.count(), dict(batch.counts))
    from liaison.referrals.tasks import process_import

    process_import.call(batch.pk)
    batch.refresh_from_db()
    assert (Referral.objects.count(), Event.objects.count(), dict(batch.counts)) == before


# --- The results file ---------------------------------------------------------------------------------------------

def test_csv_safe_neutralises_every_formula_prefix():
    from liaison.web.views import csv_safe

    assert [csv_safe(v) for v in ("=1+1", "+1", "-1", "@x", "\t=1", "\r=1", "ok", None, 12)] == [
        "'=1+1", "'+1", "'-1", "'@x", "'\t=1", "'\r=1", "ok", "", "12"]


def test_the_results_csv_lists_every_row_and_no_cell_can_run_as_a_formula(client, la, la_officer, referral_data,
                                                                          award):
    good = referral_data()
    award(good["nino"])
    hostile = referral_data(customer_name="=cmd|' /C calc'!A0", la_reference="-1+1", reason="=HYPERLINK(1)")
    batch = batch_process(batch=new_batch(la, la_officer, csv_text(good, hostile)))
    client.force_login(la_officer)
    response = client.get(f"/files/{batch.pk}/results.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="results-{batch.pk}.csv"'
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    good_case = Referral.objects.get(source_row=2).case.reference
    assert table[:2] == [["row", "la_reference", "outcome", "case_reference", "faults"],
                         ["2", good["la_reference"], "LOADED", good_case, ""]]
    assert table[2][:3] == ["3", "", "RETURNED_NON_QUALITY"]
    assert table[2][4].startswith("Customer's name: Customer's name must not start with =")
    assert "Reason for overpayment: Reason for overpayment =HYPERLINK(1) is not on the list" in table[2][4]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in table for cell in row)


# --- The upload page ----------------------------------------------------------------------------------------------

def upload(client, content: bytes | str, name: str = "referrals.csv"):
    raw = content.encode() if isinstance(content, str) else content
    return client.post("/files/new/", {"file": SimpleUploadedFile(name, raw, content_type="text/csv")})


def test_uploading_a_file_on_the_page_processes_it_and_shows_each_rows_outcome(
        client, la_officer, referral_data, award, django_capture_on_commit_callbacks):
    good, bad = referral_data(), referral_data(nino="QQ123456A", la_reference="LDS/BAD/9")
    award(good["nino"])
    client.force_login(la_officer)
    assert client.get("/files/new/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_text(good, bad), name="March referrals.csv")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/files/{batch.pk}/"
    assert (batch.original_name, batch.state, batch.uploaded_by) == ("March referrals.csv", "DONE", la_officer)

    page = client.get(f"/files/{batch.pk}/").content.decode()
    assert "LDS/BAD/9" in page and "National Insurance number prefix QQ is not one HMRC issues" in page
    assert good["la_reference"] not in page  # only the problems, unless every row is asked for
    assert good["la_reference"] in client.get(f"/files/{batch.pk}/", {"show": "all"}).content.decode()
    assert client.get(f"/files/{batch.pk}/progress.json").json() == {
        "state": "DONE", "state_label": "Finished", "rows_total": 2, "rows_done": 2,
        "counts": {"LOADED": 1, "RETURNED_NON_QUALITY": 1}, "error": "", "stalled": False}


def carried_on(callbacks) -> int:
    """How many times the file's task was queued again."""
    return sum("carry_on" in callback.__qualname__ for callback in callbacks)


def test_a_file_that_stops_part_way_says_so_on_its_page_and_carries_on_when_asked_once(
        client, la_officer, other_la_officer, referral_data, award, second_chunk_fails,
        django_capture_on_commit_callbacks):
    rows = [referral_data(la_reference=f"LDS/STOP/{n}") for n in range(5)]
    for row in rows:
        award(row["nino"])
    second_chunk_fails(OSError("the disk went away"))
    client.force_login(la_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, csv_text(*rows), name="stops.csv")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and batch.state == ImportBatch.State.STOPPED  # not left "Processing"

    page = client.get(f"/files/{batch.pk}/").content.decode()
    assert "Stopped part way" in page and "Processing stopped after 2 of 5 rows" in page
    assert "the disk went away" not in page  # what went wrong inside is for the operators' log
    assert "Carry on processing the file" in page and f"/files/{batch.pk}/results.csv" in page
    assert client.get(f"/files/{batch.pk}/progress.json").json()["state"] == "STOPPED"
    assert "Stopped part way" in client.get("/files/").content.decode()

    other = Client()
    other.force_login(other_la_officer)  # another LA can neither see it nor set it going
    assert other.post(f"/files/{batch.pk}/carry-on/").status_code == 404
    assert ImportBatch.objects.get().state == ImportBatch.State.STOPPED
    assert client.get(f"/files/{batch.pk}/carry-on/").status_code == 405

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/files/{batch.pk}/carry-on/", follow=True)
    assert carried_on(callbacks) == 1 and response.redirect_chain == [(f"/files/{batch.pk}/", 302)]
    batch.refresh_from_db()
    assert (batch.state, batch.rows_done, batch.error, batch.counts) == ("DONE", 5, "", {"LOADED": 5})
    assert sorted(Referral.objects.values_list("source_row", flat=True)) == [2, 3, 4, 5, 6]
    assert "The file will carry on from the row after the last one recorded." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/files/{batch.pk}/carry-on/")  # a second press, or a file that finished: nothing queued
    assert callbacks == [] and Referral.objects.count() == 5


def test_a_file_whose_worker_died_without_a_word_shows_as_stalled_and_carries_on(
        client, la, la_officer, referral_data, award, monkeypatch, django_capture_on_commit_callbacks):
    rows = [referral_data(la_reference=f"LDS/STALL/{n}") for n in range(3)]
    for row in rows:
        award(row["nino"])
    batch = new_batch(la, la_officer, csv_text(*rows))
    quiet_since = timezone.now() - dt.timedelta(minutes=9)
    ImportBatch.objects.filter(pk=batch.pk).update(state="RUNNING", rows_total=3, progressed_at=quiet_since)
    client.force_login(la_officer)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/files/{batch.pk}/carry-on/")  # 9 minutes without a chunk: still working, left alone
    assert callbacks == [] and ImportBatch.objects.get().state == "RUNNING"
    page = client.get(f"/files/{batch.pk}/").content.decode()
    assert "This page updates by itself" in page and "Carry on processing" not in page
    assert client.get(f"/files/{batch.pk}/progress.json").json()["stalled"] is False

    ImportBatch.objects.filter(pk=batch.pk).update(progressed_at=quiet_since - dt.timedelta(minutes=2))
    page = client.get(f"/files/{batch.pk}/").content.decode()
    assert "Processing has stalled: no rows have been done since" in page and "(0 of 3)" in page
    assert "Carry on processing the file" in page
    assert client.get(f"/files/{batch.pk}/progress.json").json()["stalled"] is True
    assert client.get(f"/api/v1/imports/{batch.pk}/").json()["stalled"] is True  # LA systems are told too
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/files/{batch.pk}/carry-on/")
    batch.refresh_from_db()
    assert carried_on(callbacks) == 1 and (batch.state, batch.rows_done, batch.stalled) == ("DONE", 3, False)
    assert batch.progressed_at > quiet_since


@pytest.mark.parametrize(("name", "content", "message"), [
    ("refused-spreadsheet.xlsx", b"PK\x03\x04", "The selected file must be a CSV"),
    ("refused-header.csv", "la_code,nino\r\nE08000035,JH100001C\r\n",
     "The header row does not match the template: it has no column"),
    ("refused-encoding.csv", "la_code\r\n£\r\n".encode("cp1252"), "The file is not UTF-8 text (near line 2)."),
    ("refused-empty.csv", b"", "The file is empty."),
    ("refused-no-rows.csv", HEADER + "\r\n", "The file has a header row but no referrals in it."),
])
def test_the_upload_page_refuses_an_unreadable_file_with_the_reason_and_keeps_nothing(client, la_officer, settings,
                                                                                     name, content, message):
    client.force_login(la_officer)
    response = upload(client, content, name=name)
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not ImportBatch.objects.exists()
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob(Path(name).stem + "*"))


def test_the_upload_page_refuses_a_file_over_the_limit(client, la_officer, settings):
    settings.LIAISON_MAX_IMPORT_BYTES = 1024 * 1024
    client.force_login(la_officer)
    response = upload(client, HEADER + "\r\n" + "x" * (1024 * 1024 + 200_000), name="too-big.csv")
    assert "The file is 1.2 MB; the largest file Liaison accepts is 1 MB. Split it into smaller files." in \
        response.content.decode()
    assert not ImportBatch.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).rglob("too-big*"))


def test_the_upload_page_asks_for_a_file(client, la_officer):
    client.force_login(la_officer)
    response = client.post("/files/new/", {})
    assert response.status_code == 200 and "Select a CSV file of referrals" in response.content.decode()


def test_dm_users_cannot_upload_files(client, porth_officer, referral_data):
    client.force_login(porth_officer)
    assert client.get("/files/new/").status_code == 403
    assert upload(client, csv_text(referral_data())).status_code == 403
    assert not ImportBatch.objects.exists()


def test_the_template_has_exactly_the_columns_the_file_is_read_with(client, la_officer):
    client.force_login(la_officer)
    response = client.get("/files/template.csv")
    assert response.content.decode() == HEADER + "\r\n"


def test_the_upload_page_states_the_limits_in_force(client, la_officer, settings):
    from django.urls import reverse

    settings.LIAISON_MAX_IMPORT_BYTES = 25 * 1024 * 1024
    settings.LIAISON_MAX_IMPORT_ROWS = 100_000
    client.force_login(la_officer)
    html = client.get(reverse("web:import_new")).content.decode()
    assert "up to 25 MB or 100,000 rows" in html
