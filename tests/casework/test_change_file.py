"""Bulk files of changes of circumstances: checked whole, then streamed in chunks with faults by row and field."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from liaison.casework import bulk
from liaison.casework.models import ChangeFile, ChangeFileRow, ChangeOfCircumstances
from liaison.casework.validation import COLUMNS
from liaison.core.models import Event
from liaison.recovery.models import Debt

from .conftest import TOLD_ON

pytestmark = pytest.mark.django_db


def csv_bytes(rows: list[dict], header=COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def change_file(la, user, content: bytes, name="changes.csv") -> ChangeFile:
    f = ChangeFile(la=la, uploaded_by=user, original_name=name, size_bytes=len(content))
    f.file.save(name, ContentFile(content), save=False)
    f.save()
    return f


def test_good_rows_are_routed_and_bad_rows_refused_with_their_faults(loaded_debt, change_data, la, la_officer,
                                                                    other_la, referral_data, award,
                                                                    other_la_officer):
    from liaison.referrals.services import referrals_receive

    debts = [loaded_debt() for _ in range(3)]
    cardiff = referral_data(la_code=other_la.code, la_reference="CDF/OP/9")
    award(cardiff["nino"])
    referrals_receive(la=other_la, channel="API", rows=[(None, cardiff)], actor=other_la_officer)
    rows = [
        change_data(debts[0], change="repaid_in_full"),
        change_data(debts[1], change="appealed"),
        change_data(debts[2], nino="JH999999A"),  # another customer's NINO
        change_data(Debt.objects.get(la=other_la)),  # Cardiff's debt, named by Leeds
        change_data(debts[2], la_told_on="2099-01-01", change="sideways"),
        change_data(debts[1], change="appealed"),  # the same as row 3
    ]
    f = change_file(la, la_officer, csv_bytes(rows) + b'"broken,row\r\n')
    f = bulk.change_file_process(change_file=f)
    assert (f.state, f.rows_done, f.counts) == ("DONE", 7, {"ACCEPTED": 2, "REFUSED": 5})
    results = {r.row_number: (r.outcome, [x["field"] for x in r.faults]) for r in bulk.results_rows(f)}
    assert results == {2: ("ACCEPTED", []), 3: ("ACCEPTED", []), 4: ("REFUSED", ["nino"]),
                       5: ("REFUSED", ["la_reference"]), 6: ("REFUSED", ["change", "la_told_on"]),
                       7: ("REFUSED", ["change"]), 8: ("REFUSED", ["row", "customer_name", "nino", "la_reference",
                                                                   "change", "la_told_on", "officer_name"])}
    row5 = ChangeFileRow.objects.get(file=f, row_number=5)
    assert row5.faults[0]["message"].startswith("No debt with LA reference CDF/OP/9 is being recovered")
    assert ChangeFileRow.objects.get(file=f, row_number=7).faults[0]["message"] == (
        "The same change for the same debt as row 3 of this file: it is not recorded twice")
    changes = list(ChangeOfCircumstances.objects.order_by("source_row"))
    assert [(c.source_row, c.channel, c.file_id, c.site.code) for c in changes] == [
        (2, "FILE", f.pk, "DM-CCG-BRADFORD"), (3, "FILE", f.pk, "DM-CCG-BRADFORD")]
    assert [e.data["row"] for e in Event.objects.filter(kind="coc.received").order_by("id")] == [2, 3]

    # The same file again: every change it holds is already open, so nothing is recorded twice.
    again = bulk.change_file_process(change_file=change_file(la, la_officer, csv_bytes(rows)))
    assert again.counts == {"REFUSED": 6} and ChangeOfCircumstances.objects.count() == 2


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "The file is empty. Use the template: a header row, then one change a row."),
    (b"customer_name,nino\r\nA,B\r\n", "it has no column 'la_reference'"),
    (b"customer_name,nino,la_reference,change,la_told_on,details,officer_name,amount\r\n",
     "column 'amount' is not part of the change of circumstances form"),
    (",".join(COLUMNS).encode() + b"\r\n", "The file has a header row but no changes in it."),
    (",".join(COLUMNS).encode() + "\r\nM\xe9gan,x,x,x,x,x,x\r\n".encode("cp1252"), "The file is not UTF-8 text"),
])
def test_a_file_that_cannot_be_read_is_rejected_whole(la, la_officer, content, reason):
    f = bulk.change_file_process(change_file=change_file(la, la_officer, content))
    assert f.state == "REJECTED" and reason in f.error
    assert not ChangeFileRow.objects.exists() and not ChangeOfCircumstances.objects.exists()


def test_processing_that_stops_part_way_loses_nothing_and_carries_on(loaded_debt, change_data, la, la_officer,
                                                                     monkeypatch, client,
                                                                     django_capture_on_commit_callbacks):
    debts = [loaded_debt() for _ in range(5)]
    f = change_file(la, la_officer, csv_bytes([change_data(d) for d in debts]))
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
    real = bulk.changes_receive
    calls = {"n": 0}

    def fail_on_the_second_chunk(**kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the worker was stopped")
        return real(**kwargs)

    monkeypatch.setattr(bulk, "changes_receive", fail_on_the_second_chunk)
    with pytest.raises(RuntimeError):
        bulk.change_file_process(change_file=f)
    client.force_login(la_officer)
    f.refresh_from_db()
    assert (f.state, f.rows_done, f.last_row_done) == ("STOPPED", 2, 3)
    assert f.error.startswith("Processing stopped after 2 of 5 rows")
    assert ChangeOfCircumstances.objects.count() == 2
    page = client.get(f"/casework/changes/files/{f.pk}/")
    assert "Processing stopped after 2 of 5 rows" in page.content.decode()
    monkeypatch.setattr(bulk, "changes_receive", real)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/casework/changes/files/{f.pk}/carry-on/")  # the page's button: the worker carries on
        client.post(f"/casework/changes/files/{f.pk}/carry-on/")  # pressed twice: queued once
    assert len(callbacks) == 1
    f.refresh_from_db()
    assert (f.state, f.rows_done, f.counts, f.error) == ("DONE", 5, {"ACCEPTED": 5}, "")
    assert sorted(ChangeOfCircumstances.objects.values_list("source_row", flat=True)) == [2, 3, 4, 5, 6]


def test_the_import_changes_command_prints_each_rows_outcome(loaded_debt, change_data, la, tmp_path, capsys):
    debt = loaded_debt()
    path = tmp_path / "changes.csv"
    path.write_bytes(csv_bytes([change_data(debt, change="la_arrangements"),
                                change_data(debt, la_reference="NOPE/1")]))
    call_command("import_changes", str(path), la=la.code, format="json")
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["row"], r["outcome"], r["site"]) for r in out] == [(2, "ACCEPTED", "CCG Bradford"),
                                                                  (3, "REFUSED", "")]
    assert out[0]["due_on"] == ChangeOfCircumstances.objects.get().due_on.isoformat()
    assert out[1]["faults"][0]["field"] == "la_reference"
    change = ChangeOfCircumstances.objects.get()
    assert change.submitted_by is None and change.la_told_on.isoformat() == TOLD_ON
    with pytest.raises(CommandError, match="No Local Authority has the code"):
        call_command("import_changes", str(path), la="X99")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    with pytest.raises(CommandError, match="The file is empty"):
        call_command("import_changes", str(bad), la=la.code)


def test_the_import_changes_command_says_how_to_carry_on_a_file_that_stopped(loaded_debt, change_data, la, tmp_path,
                                                                             capsys, monkeypatch):
    debts = [loaded_debt() for _ in range(3)]
    path = tmp_path / "changes.csv"
    path.write_bytes(csv_bytes([change_data(d) for d in debts]))
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 2)
    real = bulk.changes_receive

    def fail_on_the_second_chunk(**kwargs):
        if ChangeOfCircumstances.objects.exists():
            raise RuntimeError("the worker was stopped")
        return real(**kwargs)

    monkeypatch.setattr(bulk, "changes_receive", fail_on_the_second_chunk)
    with pytest.raises(CommandError) as stopped:
        call_command("import_changes", str(path), la=la.code)
    f = ChangeFile.objects.get()
    assert str(stopped.value).startswith("Processing stopped after 2 of 3 rows because of a fault in Liaison")
    assert str(stopped.value).endswith(f"To carry on: liaison import-changes --resume {f.pk}")
    monkeypatch.setattr(bulk, "changes_receive", real)
    capsys.readouterr()
    call_command("import_changes", resume=f.pk)
    out = capsys.readouterr()
    assert [line.split(":")[0] for line in out.out.splitlines()] == ["row 4"]
    assert out.err == "3 rows processed from changes.csv for Leeds: 3 ACCEPTED\n"
    with pytest.raises(CommandError, match="is finished, not stopped part way"):
        call_command("import_changes", resume=f.pk)
