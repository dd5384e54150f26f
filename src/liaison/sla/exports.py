"""The dashboard and the items behind a figure as CSV and Excel. Numbers stay numbers (never text) in Excel."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from liaison.sla.figures import Dashboard, Figures

DASHBOARD_HEADER = ["Standard", "Title", "Measured", "Met", "Breached", "Still open", "At risk", "% met",
                    "Median working days", "95th percentile working days"]
MONTH_HEADER = ["Standard", "Month", "Measured", "Met", "Breached", "Still open", "At risk", "% met",
                "Median working days", "95th percentile working days"]
ITEM_HEADER = ["Standard", "Case", "LA code", "Local Authority", "Clock started", "Clock stopped", "Due",
               "Working days", "Limit", "Local target", "State"]


def safe_text(value) -> str:
    """Formula-injection guard for text in a spreadsheet cell (a leading = + - @ is made literal)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _figures(f: Figures) -> list:
    return [f.measured, f.met, f.breached, f.open, f.at_risk, f.percent_met, f.median, f.p95]


def dashboard_rows(board: Dashboard) -> list[list]:
    return [[sf.standard.code, sf.standard.title, *_figures(sf.total)] for sf in board.rows]


def month_rows(board: Dashboard) -> list[list]:
    out = []
    for sf in board.rows:
        for month in board.months:
            f = sf.by_month.get(month)
            if f is not None:
                out.append([sf.standard.code, f"{month:%Y-%m}", *_figures(f)])
    return out


def _title(board: Dashboard, scope: str) -> list[str]:
    return [f"Service standards: {scope}", board.period.label, f"as of {board.as_of:%d %B %Y}"]


def dashboard_csv(board: Dashboard, scope: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_title(board, scope))
    writer.writerow(DASHBOARD_HEADER)
    writer.writerows(_blank_none(r) for r in dashboard_rows(board))
    writer.writerow([])
    writer.writerow(["Month by month (SLA year)"])
    writer.writerow(MONTH_HEADER)
    writer.writerows(_blank_none(r) for r in month_rows(board))
    return buffer.getvalue()


def _blank_none(row: list) -> list:
    return ["" if v is None else v for v in row]


def workbook(sheets: Iterable[tuple[str, list[str] | None, list[list]]]) -> bytes:
    """A workbook of sheets (name, header, rows). Text cells are always text (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, header, rows in sheets:
        sheet = book.create_sheet(name[:31])

        def cell(value, *, strong=False, _sheet=sheet):
            c = WriteOnlyCell(_sheet, value=value)
            if isinstance(value, str):
                c.data_type = "s"
            if strong:
                c.font = bold
            return c

        if header:
            sheet.append([cell(h, strong=True) for h in header])
        for row in rows:
            sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def dashboard_xlsx(board: Dashboard, scope: str) -> bytes:
    title = _title(board, scope)
    return workbook([
        ("Standards", None, [title, DASHBOARD_HEADER, *dashboard_rows(board)]),
        ("By month", MONTH_HEADER, month_rows(board)),
    ])


def item_row(m, state: str) -> list:
    return [m.standard.code, m.case_reference or f"{m.month:%B %Y}", m.la.code, safe_text(m.la.name), m.start_on,
            m.stop_on, m.due_on, m.working_days, m.limit, "yes" if m.local_target else "no", state]


def items_csv(rows: Iterable[list]) -> Iterator[str]:
    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    yield writer.writerow(ITEM_HEADER)
    for row in rows:
        yield writer.writerow(["" if v is None else (v.isoformat() if hasattr(v, "isoformat") else v) for v in row])
