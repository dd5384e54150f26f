"""`liaison import-referrals PATH --la CODE [--format json]`: one line a row, with its outcome and every fault."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command

from liaison.referrals.models import ImportBatch, Referral
from liaison.referrals.validation import COLUMNS

pytestmark = pytest.mark.django_db


def write_csv(tmp_path, *rows: dict, name: str = "march.csv"):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_referrals", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def three_rows(referral_data, award):
    good = referral_data(la_reference="LDS/CMD/1")
    award(good["nino"])
    faulty = referral_data(la_reference="LDS/CMD/2", nino="QQ123456A", postcode="NOWHERE")
    again = dict(good)
    return good, faulty, again


def test_one_line_a_row_with_its_outcome_and_every_fault(tmp_path, la, three_rows):
    stdout, stderr = run(str(write_csv(tmp_path, *three_rows)), "--la", la.code)
    loaded = Referral.objects.get(la_reference="LDS/CMD/1", status="LOADED")
    returned = Referral.objects.get(la_reference="LDS/CMD/2")
    assert stdout.splitlines() == [
        f"row 2: LOADED ({loaded.case.reference})",
        (f"row 3: RETURNED_NON_QUALITY ({returned.case.reference}): Postcode: Enter a real UK postcode, like "
         "SW1A 2AA; National Insurance number: National Insurance number prefix QQ is not one HMRC issues"),
        "row 4: RESENT: Same LA reference as row 2 of this file; not loaded twice",
    ]
    assert stderr == ("3 rows processed from march.csv for Leeds: 1 LOADED, 1 RESENT, 1 RETURNED_NON_QUALITY\n")
    batch = ImportBatch.objects.get()
    assert (batch.state, batch.channel, batch.uploaded_by, batch.original_name) == ("DONE", "FILE", None,
                                                                                    "march.csv")


def test_json_output_is_one_object_a_line(tmp_path, la, three_rows):
    stdout, _ = run(str(write_csv(tmp_path, *three_rows)), "--la", la.code.lower(), "--format", "json")
    rows = [json.loads(line) for line in stdout.splitlines()]
    loaded = Referral.objects.get(la_reference="LDS/CMD/1", status="LOADED")
    returned = Referral.objects.get(la_reference="LDS/CMD/2")
    assert rows == [
        {"row": 2, "la_reference": "LDS/CMD/1", "outcome": "LOADED", "outcome_label": "Loaded for recovery",
         "referral_id": loaded.pk, "case_reference": loaded.case.reference, "faults": [], "detail": ""},
        {"row": 3, "la_reference": "LDS/CMD/2", "outcome": "RETURNED_NON_QUALITY",
         "outcome_label": "Returned: missing or invalid data", "referral_id": returned.pk,
         "case_reference": returned.case.reference,
         "faults": [{"field": "postcode", "label": "Postcode", "message": "Enter a real UK postcode, like SW1A 2AA"},
                    {"field": "nino", "label": "National Insurance number",
                     "message": "National Insurance number prefix QQ is not one HMRC issues"}],
         "detail": "2 missing or invalid item(s) of data"},
        {"row": 4, "la_reference": "LDS/CMD/1", "outcome": "RESENT", "outcome_label": "Already received",
         "referral_id": None, "case_reference": "", "faults": [],
         "detail": "Same LA reference as row 2 of this file; not loaded twice"},
    ]


def test_running_the_same_file_again_loads_nothing_twice(tmp_path, la, three_rows):
    path = write_csv(tmp_path, three_rows[0])
    run(str(path), "--la", la.code)
    stdout, stderr = run(str(path), "--la", la.code)
    assert stdout == "row 2: RESENT: Already received: referral LDS/CMD/1 is held (Loaded for recovery)\n"
    assert stderr.endswith(": 1 RESENT\n")
    assert Referral.objects.count() == 1


def test_an_unknown_la_code_is_refused_clearly(tmp_path, refdata, referral_data):
    with pytest.raises(CommandError) as exc:
        run(str(write_csv(tmp_path, referral_data())), "--la", "X99999999")
    assert str(exc.value) == ("No Local Authority has the code X99999999. Run 'liaison load-reference-data' first, "
                              "or check the code.")
    assert not ImportBatch.objects.exists()


def test_a_dm_unit_code_is_not_an_la(tmp_path, refdata, referral_data):
    with pytest.raises(CommandError) as exc:
        run(str(write_csv(tmp_path, referral_data())), "--la", "DM-PORTH")
    assert str(exc.value).startswith("No Local Authority has the code DM-PORTH.")


def test_a_missing_file_is_refused_clearly(tmp_path, la):
    with pytest.raises(CommandError) as exc:
        run(str(tmp_path / "nowhere.csv"), "--la", la.code)
    assert str(exc.value) == f"No such file: {tmp_path / 'nowhere.csv'}"


def test_a_directory_is_not_a_file(tmp_path, la):
    with pytest.raises(CommandError) as exc:
        run(str(tmp_path), "--la", la.code)
    assert str(exc.value) == f"No such file: {tmp_path}"


def test_an_unreadable_file_is_refused_with_the_reason_and_nothing_recorded(tmp_path, la):
    path = tmp_path / "old.csv"
    path.write_bytes("la_code\r\n£\r\n".encode("cp1252"))
    with pytest.raises(CommandError) as exc:
        run(str(path), "--la", la.code)
    assert str(exc.value) == ("old.csv: The file is not UTF-8 text (near line 2). Save it from your spreadsheet "
                              "as 'CSV UTF-8 (comma delimited)' and upload it again.")
    assert not ImportBatch.objects.exists()


def test_the_la_option_is_required(tmp_path):
    with pytest.raises(CommandError) as exc:
        run(str(tmp_path / "x.csv"))
    assert str(exc.value) == "Give the file's path and --la CODE (or --resume FILE_NUMBER)."


def test_a_file_that_stops_part_way_says_how_to_carry_on_and_resume_prints_the_rest(
        tmp_path, la, referral_data, award, second_chunk_fails):
    rows = [referral_data(la_reference=f"LDS/CMD/R{n}") for n in range(5)]
    for row in rows:
        award(row["nino"])
    second_chunk_fails(ConnectionResetError("the database went away"))
    out = io.StringIO()
    with pytest.raises(CommandError) as stopped:
        call_command("import_referrals", str(write_csv(tmp_path, *rows)), "--la", la.code, stdout=out)
    batch = ImportBatch.objects.get()
    assert str(stopped.value).startswith("Processing stopped after 2 of 5 rows because of a fault in Liaison")
    assert str(stopped.value).endswith(f"To carry on: liaison import-referrals --resume {batch.pk}")
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == ["row 2", "row 3"]

    stdout, stderr = run("--resume", str(batch.pk))
    assert [line.split(":")[0] for line in stdout.splitlines()] == ["row 4", "row 5", "row 6"]
    assert stderr == "5 rows processed from march.csv for Leeds: 5 LOADED\n"
    assert Referral.objects.count() == 5
    with pytest.raises(CommandError, match=f"File number {batch.pk} \\(march.csv\\) is finished, not stopped"):
        run("--resume", str(batch.pk))
    with pytest.raises(CommandError, match="There is no file number 999999"):
        run("--resume", "999999")
