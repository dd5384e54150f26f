"""A remittance's schedule as CSV, Excel and PDF: a line per debt and kind (deductions, and reversals as negative
lines), with the debt reference, the LA's reference, the NINO, the debtor's name and the amount.

Money stays integer pence until it is written: pounds as Decimal (never float) in Excel, "12.34" in CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string

from liaison.core.money import format_pence, pence_to_decimal
from liaison.remittance.models import Remittance
from liaison.remittance.selectors import schedule_lines

HEADER = ["LA code", "Month recovered", "Debt reference", "LA reference", "NINO", "Debtor name", "Kind",
          "Amount (GBP)"]


def safe_text(value) -> str:
    """Spreadsheet formula-injection guard for text we did not write ourselves (names, references): a cell that
    starts with = + - @ (or a tab or carriage return) is prefixed with an apostrophe so it is read as text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def filename(remittance: Remittance, extension: str) -> str:
    return f"remittance-{remittance.la.code}-{remittance.month:%Y-%m}.{extension}"


# --- CSV ---------------------------------------------------------------------------------------------------

class _Echo:
    def write(self, value):
        return value


def schedule_csv(remittance: Remittance) -> Iterator[str]:
    """Streamed, a row at a time. Amounts are ours (a number, sign and all), so only text cells are guarded."""
    writer = csv.writer(_Echo())
    la_code, month = remittance.la.code, f"{remittance.month:%Y-%m}"
    yield writer.writerow(HEADER)
    for line in schedule_lines(remittance):
        yield writer.writerow([la_code, month, line.debt_reference, safe_text(line.la_reference),
                               safe_text(line.nino), safe_text(line.debtor_name), line.kind_label,
                               str(pence_to_decimal(line.amount_pence))])


# --- Excel -------------------------------------------------------------------------------------------------

POUNDS_FORMAT = '#,##0.00;-#,##0.00'


def schedule_xlsx(remittance: Remittance) -> bytes:
    """A write-only workbook (constant memory for large schedules): a title block, the lines and a total row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Schedule")
    sheet.column_dimensions["A"].width = 16
    for column, width in zip("BCDEFG", (16, 24, 12, 32, 12, 14), strict=True):
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)

    def text(value, *, strong=False):
        cell = WriteOnlyCell(sheet, value="" if value is None else str(value))
        cell.data_type = "s"  # always text: a name starting with "=" is never a formula
        if strong:
            cell.font = bold
        return cell

    def pounds(pence, *, strong=False):
        cell = WriteOnlyCell(sheet, value=pence_to_decimal(pence))
        cell.number_format = POUNDS_FORMAT
        if strong:
            cell.font = bold
        return cell

    r = remittance
    sheet.append([text(f"Remittance {r.reference} to {r.la.name} ({r.la.code})", strong=True)])
    sheet.append([text("Money recovered in"), text(f"{r.month:%B %Y}")])
    sheet.append([text("Due by"), text(f"{r.due_by:%d %B %Y}")])
    sheet.append([text("Status"), text(_status_text(r))])
    sheet.append([text("Total"), pounds(r.total_pence), text(_owes_text(r))])
    sheet.append([])
    sheet.append([text(h, strong=True) for h in ["Debt reference", "LA reference", "NINO", "Debtor name", "Kind",
                                                  "Amount (GBP)"]])
    for line in schedule_lines(remittance):
        sheet.append([text(line.debt_reference), text(line.la_reference), text(line.nino),
                      text(line.debtor_name), text(line.kind_label), pounds(line.amount_pence)])
    sheet.append([text("Total", strong=True), None, None, None, None, pounds(r.total_pence, strong=True)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _status_text(r: Remittance) -> str:
    if r.is_paid:
        return f"Paid on {r.paid_on:%d %B %Y}, reference {r.payment_reference}"
    return "Not paid yet"


def _owes_text(r: Remittance) -> str:
    if r.owes_dm:
        return f"{r.la.name} owes DWP Debt Management {format_pence(-r.total_pence)}"
    return f"DWP Debt Management pays {r.la.name} {format_pence(r.total_pence)}"


# --- PDF ---------------------------------------------------------------------------------------------------

def schedule_html(remittance: Remittance) -> str:
    return render_to_string("remittance/schedule_pdf.html", {
        "r": remittance, "lines": schedule_lines(remittance), "status_text": _status_text(remittance),
        "owes_text": _owes_text(remittance)})


def schedule_pdf(remittance: Remittance) -> bytes:
    from weasyprint import HTML

    return HTML(string=schedule_html(remittance), base_url=str(settings.PACKAGE_DIR)).write_pdf()


def schedule_pdf_kept(remittance: Remittance) -> bytes:
    """The PDF, rendered once and then kept until the remittance is marked paid (which clears it): WeasyPrint
    takes seconds over a few thousand lines, and nothing else on a schedule ever changes (items are immutable)."""
    if remittance.schedule_pdf:
        with remittance.schedule_pdf.open("rb") as fh:
            return fh.read()
    data = schedule_pdf(remittance)
    remittance.schedule_pdf.save(filename(remittance, "pdf"), ContentFile(data), save=False)
    # (only if it was not paid meanwhile: a PDF saying "not paid yet" must not outlive the payment)
    Remittance.objects.filter(pk=remittance.pk, status=remittance.status).update(
        schedule_pdf=remittance.schedule_pdf.name)
    return data
