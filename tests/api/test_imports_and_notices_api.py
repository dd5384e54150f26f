"""Bulk files and notices through the API (`/api/v1/imports/…`, `/api/v1/notices/…`)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from liaison.core.models import Event
from liaison.notices.models import Notice
from liaison.referrals.models import ImportBatch, Referral
from liaison.referrals.validation import COLUMNS

pytestmark = pytest.mark.django_db


def csv_bytes(*rows: dict) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def iso(value) -> str:
    return timezone.localtime(value).isoformat().replace("+00:00", "Z")


def upload(client, content: bytes, name: str = "referrals.csv"):
    return client.post("/api/v1/imports/", {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def test_a_file_is_accepted_202_then_processed_and_its_rows_reported(la_api, referral_data, award,
                                                                    django_capture_on_commit_callbacks):
    good, bad = referral_data(), referral_data(postcode="XX", la_reference="LDS/BAD/1")
    award(good["nino"])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(la_api, csv_bytes(good, bad))

    assert response.status_code == 202
    batch = ImportBatch.objects.get()
    assert response.json() == {
        "id": batch.pk, "la_code": "E08000035", "original_name": "referrals.csv", "state": "PENDING",
        "rows_total": 2, "rows_done": 0, "counts": {}, "error": "", "stalled": False,
        "created_at": iso(batch.created_at), "progressed_at": None, "finished_at": None,
    }
    detail = la_api.get(f"/api/v1/imports/{batch.pk}/")
    batch.refresh_from_db()
    assert detail.json() == {
        "id": batch.pk, "la_code": "E08000035", "original_name": "referrals.csv", "state": "DONE",
        "rows_total": 2, "rows_done": 2, "counts": {"LOADED": 1, "RETURNED_NON_QUALITY": 1}, "error": "",
        "stalled": False, "created_at": iso(batch.created_at), "progressed_at": iso(batch.progressed_at),
        "finished_at": iso(batch.finished_at),
    }
    loaded = Referral.objects.get(la_reference=good["la_reference"])
    returned = Referral.objects.get(la_reference="LDS/BAD/1")
    rows = la_api.get(f"/api/v1/imports/{batch.pk}/rows/")
    assert rows.json() == {"rows": [
        {"row": 2, "la_reference": good["la_reference"], "outcome": "LOADED", "outcome_label": "Loaded for recovery",
         "referral_id": loaded.pk, "case_reference": loaded.case.reference, "faults": [], "detail": ""},
        {"row": 3, "la_reference": "LDS/BAD/1", "outcome": "RETURNED_NON_QUALITY",
         "outcome_label": "Returned: missing or invalid data", "referral_id": returned.pk,
         "case_reference": returned.case.reference,
         "faults": [{"field": "postcode", "label": "Postcode", "message": "Enter a real UK postcode, like SW1A 2AA"}],
         "detail": ""},
    ]}


@pytest.mark.parametrize(("content", "detail"), [
    (b"", "The file is empty. Use the template: a header row, then one referral a row."),
    (",".join(COLUMNS).encode() + b"\r\n", "The file has a header row but no referrals in it."),
    ("la_code\r\nE08000035 £\r\n".encode("cp1252"),
     ("The file is not UTF-8 text (near line 2). Save it from your spreadsheet as 'CSV UTF-8 (comma delimited)' "
      "and upload it again.")),
])
def test_a_file_that_cannot_be_read_is_a_clear_400_and_nothing_is_kept(la_api, content, detail):
    response = upload(la_api, content)
    assert response.status_code == 400
    assert response.json() == {"detail": detail}
    assert not ImportBatch.objects.exists()


def test_an_upload_without_a_file_is_a_clear_400(la_api):
    response = la_api.post("/api/v1/imports/", {"other": "x"})
    assert response.status_code == 400
    assert response.json() == {"detail": "Send the CSV file in a form field named 'file'."}


def test_another_las_file_and_its_rows_are_404(la_api, other_la_api, referral_data,
                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        batch_id = upload(la_api, csv_bytes(referral_data())).json()["id"]
    for path in ("/api/v1/imports/{}/", "/api/v1/imports/{}/rows/"):
        theirs, missing = other_la_api.get(path.format(batch_id)), other_la_api.get(path.format(batch_id + 99))
        assert (theirs.status_code, missing.status_code) == (404, 404)
        assert theirs.json() == missing.json() == {"detail": "No such file"}


def test_notices_are_listed_for_their_la_only_and_downloaded_as_pdf(la_api, other_la_api, referral_data, award):
    data = referral_data()
    award(data["nino"])
    referral_id = la_api.post("/api/v1/referrals/", data, content_type="application/json").json()["referral"]["id"]
    notice = Notice.objects.get()

    listed = la_api.get("/api/v1/notices/")
    assert listed.json() == {"next": None, "previous": None, "results": [{
        "id": notice.pk, "reference": notice.reference, "code": "HBREC", "title": "Recovery start letter",
        "case_reference": Referral.objects.get(pk=referral_id).case.reference,
        "la_reference": data["la_reference"], "issued_at": iso(notice.issued_at)}]}
    assert other_la_api.get("/api/v1/notices/").json()["results"] == []

    pdf = la_api.get(f"/api/v1/notices/{notice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'attachment; filename="HBREC-{notice.reference}.pdf"'
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    theirs = other_la_api.get(f"/api/v1/notices/{notice.pk}/pdf/")
    missing = other_la_api.get(f"/api/v1/notices/{notice.pk + 99}/pdf/")
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json() == missing.json() == {"detail": "No such notice."}


def test_reading_a_case_or_its_notice_through_the_api_is_recorded(la_api, la_officer, referral_data, award):
    """DOMAIN D5: every view of a case is recorded, whichever door it is read through."""
    data = referral_data()
    award(data["nino"])
    referral_id = la_api.post("/api/v1/referrals/", data, content_type="application/json").json()["referral"]["id"]
    referral = Referral.objects.get(pk=referral_id)
    notice = Notice.objects.get()

    la_api.get(f"/api/v1/referrals/{referral_id}/")
    [viewed] = Event.objects.filter(case=referral.case, kind="case.viewed")
    assert viewed.actor == la_officer and viewed.actor_organisation == la_officer.organisation

    la_api.get(f"/api/v1/notices/{notice.pk}/pdf/")
    [downloaded] = Event.objects.filter(case=referral.case, kind="notice.downloaded")
    assert downloaded.actor == la_officer and downloaded.data == {"notice_id": notice.pk, "format": "pdf"}


def test_an_la_system_carries_on_a_file_that_stopped_part_way(la_api, other_la_api, referral_data, award,
                                                              second_chunk_fails, django_capture_on_commit_callbacks):
    rows = [referral_data(la_reference=f"LDS/API/STOP/{n}") for n in range(5)]
    for row in rows:
        award(row["nino"])
    second_chunk_fails(OSError("the disk went away"))
    with django_capture_on_commit_callbacks(execute=True):
        upload(la_api, csv_bytes(*rows))
    batch = ImportBatch.objects.get()
    stopped = la_api.get(f"/api/v1/imports/{batch.pk}/").json()
    assert (stopped["state"], stopped["rows_done"], stopped["stalled"]) == ("STOPPED", 2, False)
    assert stopped["error"].startswith("Processing stopped after 2 of 5 rows")

    assert other_la_api.post(f"/api/v1/imports/{batch.pk}/carry-on/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = la_api.post(f"/api/v1/imports/{batch.pk}/carry-on/")
    assert response.status_code == 202 and response.json()["state"] == "PENDING"
    done = la_api.get(f"/api/v1/imports/{batch.pk}/").json()
    assert (done["state"], done["rows_done"], done["counts"], done["error"]) == ("DONE", 5, {"LOADED": 5}, "")
    again = la_api.post(f"/api/v1/imports/{batch.pk}/carry-on/")
    assert again.status_code == 409
    assert again.json() == {"detail": f"File {batch.pk} is finished, not stopped part way: nothing to carry on."}
    assert Referral.objects.count() == 5
