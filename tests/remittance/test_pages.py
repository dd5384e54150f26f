"""The repayment pages and schedule downloads, through the real pages with Django's test client: what each party
sees, the downloads parsed back (csv, openpyxl, pdftotext), and FCG's "Mark as paid" form."""

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from liaison.core.models import Event
from liaison.recovery.ledger import deduction_reverse, deduction_run
from liaison.recovery.models import Debt, LedgerEntry
from liaison.remittance.models import Remittance
from liaison.remittance.services import remittance_mark_paid, remittance_run

from .conftest import at, week

pytestmark = pytest.mark.django_db
JUNE, JULY = dt.date(2025, 6, 1), dt.date(2025, 7, 1)


@pytest.fixture
def books(debt_in, la, other_la, porth_officer):
    """Leeds: June (two debtors, two weeks each) and July (a week each, less a reversal of June's money);
    Cardiff: June (one debtor)."""
    alice = debt_in(customer_name="Alice Smith")
    bob = debt_in(customer_name="Bob Jones")
    debt_in(other_la, customer_name="Dai Evans")
    for n in (0, 1):
        deduction_run(week_start=week(n), now=at("2025-06-30"))
    remittance_run(month=JUNE, now=at("2025-07-01"))
    deduction_run(week_start=week(2), now=at("2025-07-07"))
    deduction_reverse(entry=LedgerEntry.objects.get(debt=bob, week_start=week(0)), reason="Wrong award",
                      actor=porth_officer, now=at("2025-07-10"))
    remittance_run(month=JULY, now=at("2025-08-01"))
    return {"alice": alice, "bob": bob, "june": Remittance.objects.get(la=la, month=JUNE),
            "july": Remittance.objects.get(la=la, month=JULY),
            "cardiff": Remittance.objects.get(la=other_la, month=JUNE)}


def download(client, name, remittance):
    response = client.get(reverse(f"remittance:{name}", args=[remittance.pk]))
    assert response.status_code == 200, response.status_code
    return response, b"".join(response.streaming_content) if response.streaming else response.content


# --- What each party sees --------------------------------------------------------------------------------

def test_an_la_lists_only_its_own_remittances(client, books, la_officer):
    client.force_login(la_officer)
    html = client.get(reverse("remittance:list")).content.decode()
    assert len(re.findall(r'href="/remittances/\d+/"', html)) == 2
    assert f'href="/remittances/{books["june"].pk}/"' in html and f'href="/remittances/{books["july"].pk}/"' in html
    assert f'href="/remittances/{books["cardiff"].pk}/"' not in html and "Cardiff" not in html
    assert "£55.80" in html and "£13.95" in html  # June: 4 weeks; July: 2 weeks less a reversal of one
    assert ">Repayments<" in html  # in the navigation


def test_dm_users_list_every_la_and_filter_by_month_and_la(client, books, ccg_agent):
    client.force_login(ccg_agent)
    url = reverse("remittance:list")
    html = client.get(url).content.decode()
    assert all(f'href="/remittances/{r.pk}/"' in html for r in books.values() if isinstance(r, Remittance))
    june = client.get(url, {"month": "2025-06"}).content.decode()
    assert f'/remittances/{books["june"].pk}/"' in june and f'/remittances/{books["cardiff"].pk}/"' in june
    assert f'/remittances/{books["july"].pk}/"' not in june
    cardiff = client.get(url, {"la": "W06000015"}).content.decode()
    assert f'/remittances/{books["cardiff"].pk}/"' in cardiff and f'/remittances/{books["june"].pk}/"' not in cardiff
    unpaid = client.get(url, {"status": "PAID"}).content.decode()
    assert "No remittances match." in unpaid and ">Repayments<" in unpaid  # in the navigation
    assert client.get(reverse("remittance:detail", args=[books["cardiff"].pk])).status_code == 200


def test_an_la_gets_404_for_another_las_remittance_and_every_download(client, books, other_la_officer):
    client.force_login(other_la_officer)
    leeds = books["june"]
    for name in ("detail", "csv", "xlsx", "pdf", "mark_paid"):
        assert client.get(reverse(f"remittance:{name}", args=[leeds.pk])).status_code == 404, name
    assert client.post(reverse("remittance:mark_paid", args=[leeds.pk]),
                       {"payment_reference": "X"}).status_code == 404
    assert client.get(reverse("remittance:detail", args=[books["cardiff"].pk])).status_code == 200
    assert not Event.objects.filter(kind="remittance.schedule_viewed", la=leeds.la).exists()


def test_signed_out_people_are_sent_to_sign_in(client, books):
    response = client.get(reverse("remittance:csv", args=[books["june"].pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


def test_the_remittance_page_shows_every_line_the_total_and_a_reversal(client, books, la_officer):
    client.force_login(la_officer)
    july, bob = books["july"], books["bob"]
    html = client.get(reverse("remittance:detail", args=[july.pk])).content.decode()
    assert "Money recovered in July 2025" in html and "31 August 2025" in html and "Not paid yet" in html
    assert bob.la_reference in html and bob.nino in html and "Bob Jones" in html and "Alice Smith" in html
    assert "Reversal" in html and "-£13.95" in html
    assert "Mark as paid" not in html  # an LA cannot
    event = Event.objects.get(kind="remittance.schedule_viewed")
    assert (event.la_id, event.actor_id, event.data["format"]) == (july.la_id, la_officer.pk, "viewed")


def test_a_negative_total_is_shown_as_owed_to_dm(client, debt_in, porth_officer, la_officer):
    debt = debt_in(balance="13.95")
    deduction_run(week_start=week(0), now=at("2025-06-30"))
    remittance_run(month=JUNE, now=at("2025-07-01"))
    deduction_reverse(entry=LedgerEntry.objects.get(debt=debt), reason="x", actor=porth_officer, now=at("2025-07-09"))
    remittance_run(month=JULY, now=at("2025-08-01"))
    client.force_login(la_officer)
    html = client.get(reverse("remittance:detail", args=[Remittance.objects.get(month=JULY).pk])).content.decode()
    assert "Leeds owes DWP Debt Management £13.95" in html and "(owed to DWP Debt Management)" in html


# --- The schedule, downloaded and read back --------------------------------------------------------------

def test_the_csv_schedule_reads_back_line_for_line(client, books, la_officer):
    client.force_login(la_officer)
    response, body = download(client, "csv", books["july"])
    assert response["Content-Disposition"] == 'attachment; filename="remittance-E08000035-2025-07.csv"'
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    alice, bob = books["alice"], books["bob"]
    expected = sorted([
        ["E08000035", "2025-07", alice.reference, alice.la_reference, alice.nino, "Alice Smith", "Deduction", "13.95"],
        ["E08000035", "2025-07", bob.reference, bob.la_reference, bob.nino, "Bob Jones", "Deduction", "13.95"],
        ["E08000035", "2025-07", bob.reference, bob.la_reference, bob.nino, "Bob Jones", "Reversal", "-13.95"],
    ], key=lambda r: (r[3], r[2], r[6]))
    assert rows[0] == ["LA code", "Month recovered", "Debt reference", "LA reference", "NINO", "Debtor name", "Kind",
                       "Amount (GBP)"]
    assert rows[1:] == expected
    assert sum(Decimal(r[7]) for r in rows[1:]) == Decimal("13.95") == Decimal(books["july"].total_pence) / 100


def test_text_that_looks_like_a_formula_is_kept_as_text_in_csv_and_excel(client, books, la_officer):
    formula = '=HYPERLINK("http://evil.example","click")'
    Debt.objects.filter(pk=books["alice"].pk).update(debtor_name=formula, la_reference="+44REF")
    client.force_login(la_officer)
    _, body = download(client, "csv", books["june"])
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert ["'" + formula] == [r[5] for r in rows[1:] if r[2] == books["alice"].reference]
    assert ["'+44REF"] == [r[3] for r in rows[1:] if r[2] == books["alice"].reference]
    _, body = download(client, "xlsx", books["june"])
    sheet = load_workbook(io.BytesIO(body)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == formula]
    assert cells and all(c.data_type == "s" for c in cells)


def test_the_excel_schedule_has_numbers_in_pounds_and_a_total_row(client, books, la_officer):
    client.force_login(la_officer)
    response, body = download(client, "xlsx", books["july"])
    assert response["Content-Disposition"].endswith('filename="remittance-E08000035-2025-07.xlsx"')
    sheet = load_workbook(io.BytesIO(body)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][0] == f"Remittance {books['july'].reference} to Leeds (E08000035)"
    assert rows[1][:2] == ["Money recovered in", "July 2025"] and rows[2][:2] == ["Due by", "31 August 2025"]
    header = rows.index(["Debt reference", "LA reference", "NINO", "Debtor name", "Kind", "Amount (GBP)"])
    lines, total = rows[header + 1:-1], rows[-1]
    bob = books["bob"]
    assert [bob.reference, bob.la_reference, bob.nino, "Bob Jones", "Reversal", -13.95] in lines
    assert sorted(line[5] for line in lines) == [-13.95, 13.95, 13.95]
    assert total[0] == "Total" and total[5] == 13.95
    amount_cell = list(sheet.iter_rows())[-1][5]
    assert amount_cell.data_type == "n" and amount_cell.number_format == "#,##0.00;-#,##0.00"


def pdf_text(body: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=body, capture_output=True,
                          check=True).stdout.decode()


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_the_pdf_schedule_has_the_la_month_due_date_status_every_line_and_the_total(client, books, la_officer,
                                                                                 fcg_officer):
    client.force_login(la_officer)
    response, body = download(client, "pdf", books["july"])
    assert body.startswith(b"%PDF") and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].endswith('filename="remittance-E08000035-2025-07.pdf"')
    text = pdf_text(body)
    for expected in ("Remittance schedule: Leeds", "E08000035", "July 2025", "31 August 2025", "Not paid yet",
                     books["alice"].la_reference, books["bob"].nino, books["alice"].reference, "Alice Smith",
                     "Bob Jones", "Reversal", "-£13.95", "Total"):
        assert expected in text, expected
    assert text.count("£13.95") >= 4  # three lines and the total
    # The PDF is kept once drawn, until the payment is recorded: then it says so.
    assert download(client, "pdf", books["july"])[1] == body
    remittance_mark_paid(remittance=books["july"], payment_reference="BACS-778", paid_on=dt.date(2025, 8, 20),
                         actor=fcg_officer, now=at("2025-08-21"))
    paid = pdf_text(download(client, "pdf", books["july"])[1])
    assert "Paid on 20 August 2025, reference BACS-778" in paid and "Not paid yet" not in paid


def test_each_schedule_pdf_is_drawn_by_the_worker_once_the_run_commits(debt_in, django_capture_on_commit_callbacks):
    debt_in()
    deduction_run(week_start=week(0), now=at("2025-06-30"))
    with django_capture_on_commit_callbacks(execute=True):  # the test task backend runs the task at once
        remittance_run(month=JUNE, now=at("2025-07-01"))
    remittance = Remittance.objects.get()
    assert remittance.schedule_pdf.name.endswith(".pdf")
    with remittance.schedule_pdf.open("rb") as fh:
        assert fh.read(4) == b"%PDF"


# --- FCG marks the payment made --------------------------------------------------------------------------

def test_fcg_marks_paid_through_the_form_with_a_gov_uk_error_summary_on_faults(client, books, fcg_officer):
    client.force_login(fcg_officer)
    june = books["june"]
    detail = client.get(reverse("remittance:detail", args=[june.pk])).content.decode()
    assert f'href="/remittances/{june.pk}/paid/"' in detail
    url = reverse("remittance:mark_paid", args=[june.pk])
    html = client.post(url, {"payment_reference": "", "paid_on-day": "31", "paid_on-month": "2",
                             "paid_on-year": "2025"}).content.decode()
    assert "There is a problem" in html and "<title>Error: Mark as paid" in html
    assert 'href="#payment_reference"' in html and "Enter the payment reference" in html
    assert 'href="#paid_on-day"' in html and "must be a real date, like 27 3 2025" in html
    assert 'value="31"' in html  # what was typed is kept
    assert Remittance.objects.get(pk=june.pk).status == Remittance.Status.DRAFT
    today = timezone.localdate()
    response = client.post(url, {"payment_reference": "BACS-1", "paid_on-day": str(today.day),
                                 "paid_on-month": str(today.month), "paid_on-year": str(today.year)})
    assert response.status_code == 302 and response["Location"] == reverse("remittance:detail", args=[june.pk])
    june.refresh_from_db()
    assert june.is_paid and june.payment_reference == "BACS-1" and june.paid_by == fcg_officer
    page = client.get(response["Location"]).content.decode()
    assert "marked as paid" in page and "reference BACS-1" in page
    assert f'href="/remittances/{june.pk}/paid/"' not in page
    again = client.post(url, {"payment_reference": "BACS-2", "paid_on-day": "1", "paid_on-month": "8",
                              "paid_on-year": "2025"})
    assert again.status_code == 302
    assert Remittance.objects.get(pk=june.pk).payment_reference == "BACS-1"


def test_people_outside_fcg_cannot_open_the_mark_paid_form(client, books, la_officer, ccg_agent):
    for user in (la_officer, ccg_agent):
        client.force_login(user)
        url = reverse("remittance:mark_paid", args=[books["june"].pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"payment_reference": "X", "paid_on-day": "1", "paid_on-month": "7",
                                 "paid_on-year": "2025"}).status_code == 403
    assert Remittance.objects.get(pk=books["june"].pk).status == Remittance.Status.DRAFT
