"""The issues log and the actions as CSV and Excel, for meetings. Formula-safe: a cell we did not write ourselves
that starts with = + - @ (or a tab or carriage return) is prefixed with an apostrophe, and in Excel every text cell
is stored as text, so nothing typed into the log runs as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from liaison.governance.models import Action, Issue, Level

ISSUE_HEADER = ["Reference", "Kind", "Category", "Title", "Raised by", "Raised on", "Concerns", "Level", "Routed to",
                "Owner", "Status", "Open actions", "Linked cases", "Last updated", "Resolution"]
ACTION_HEADER = ["Reference", "From", "Description", "Owner", "Owner's organisation", "Due", "Status", "Completed",
                 "Note"]


def safe_text(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def issue_rows(issues: Iterable[Issue]) -> Iterator[list]:
    for i in issues:
        open_actions = sum(1 for a in i.actions.all() if a.status == Action.Status.OPEN)
        yield [i.reference, i.get_kind_display(), i.category.name, i.title, i.raised_by_org.name,
               i.raised_at.date(), i.concerns.name, Level(i.level).label, i.routed_to_name,
               i.owner.display_name if i.owner else "", i.get_status_display(), open_actions,
               " ".join(c.reference for c in i.cases.all()), i.updated_at.date(), i.resolution]


def action_rows(actions: Iterable[Action]) -> Iterator[list]:
    for a in actions:
        source = (f"{a.issue.reference}: {a.issue.title}" if a.issue_id
                  else f"{a.meeting.group.name}, {a.meeting.held_on:%d %b %Y}")
        yield [a.reference, source, a.description, a.owner_name,
               a.owner_organisation.name if a.owner_organisation else "", a.due_on, a.get_status_display(),
               a.completed_on or "", a.completion_note]


class _Echo:
    def write(self, value):
        return value


def as_csv(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([v.isoformat() if hasattr(v, "isoformat") else
                               (v if isinstance(v, int) else safe_text(v)) for v in row])


def as_xlsx(title: str, header: list[str], rows: Iterable[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    bold = Font(bold=True)

    def cell(value, *, strong=False):
        if hasattr(value, "isoformat"):
            c = WriteOnlyCell(sheet, value=value)
            c.number_format = "dd/mm/yyyy"
        elif isinstance(value, int) and not isinstance(value, bool):
            c = WriteOnlyCell(sheet, value=value)
        else:
            c = WriteOnlyCell(sheet, value="" if value is None else str(value))
            c.data_type = "s"  # always text: "=HYPERLINK(...)" typed into the log is never a formula
        if strong:
            c.font = bold
        return c

    sheet.append([cell(h, strong=True) for h in header])
    for row in rows:
        sheet.append([cell(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
