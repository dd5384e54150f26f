"""Loading the benefit register and its reference data."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from liaison.benefits.models import Award, Benefit
from liaison.core.identifiers import nino_fault, normalise_nino
from liaison.core.money import MoneyError, parse_pounds

DATA_DIR = Path(__file__).resolve().parent / "data"
AWARD_COLUMNS = ["nino", "benefit", "weekly_amount", "start", "end"]


def benefits_load(*, path: Path | None = None) -> int:
    """Load the benefit list (SLA Appendix 4 marks the prescribed ones). Re-runnable."""
    count = 0
    with open(path or DATA_DIR / "benefits.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            Benefit.objects.update_or_create(code=row["code"], defaults={
                "name": row["name"], "prescribed": row["prescribed"].strip().lower() == "true"})
            count += 1
    return count


@dataclass
class AwardImportReport:
    created: int = 0
    updated: int = 0
    faults: list[str] = field(default_factory=list)


def awards_import(*, path: Path, source: str | None = None) -> AwardImportReport:
    """Load awards from a CSV (nino, benefit, weekly_amount, start, end). A row with a fault is reported by row
    and field and skipped; the good rows are kept. An award is matched on (nino, benefit, start) and updated."""
    report = AwardImportReport()
    codes = set(Benefit.objects.values_list("code", flat=True))
    rows: list[Award] = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in AWARD_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            report.faults.append(f"The file has no column {', '.join(missing)}; expected {', '.join(AWARD_COLUMNS)}")
            return report
        for number, row in enumerate(reader, start=2):
            faults, award = _parse_award(row, codes)
            if faults:
                report.faults.extend(f"Row {number}: {f}" for f in faults)
                continue
            award.source = source or Path(path).name
            rows.append(award)
    with transaction.atomic():
        for start in range(0, len(rows), 2000):
            batch = rows[start:start + 2000]
            existing = {(a.nino, a.benefit_id, a.start): a for a in Award.objects.filter(
                nino__in={a.nino for a in batch})}
            new, changed = [], []
            for award in batch:
                current = existing.get((award.nino, award.benefit_id, award.start))
                if current is None:
                    new.append(award)
                else:
                    current.weekly_amount_pence, current.end, current.source = (
                        award.weekly_amount_pence, award.end, award.source)
                    changed.append(current)
            Award.objects.bulk_create(new)
            Award.objects.bulk_update(changed, ["weekly_amount_pence", "end", "source"])
            report.created += len(new)
            report.updated += len(changed)
    return report


def _parse_award(row: dict, codes: set[str]) -> tuple[list[str], Award | None]:
    faults = []
    nino = normalise_nino(row.get("nino") or "")
    if fault := nino_fault(nino):
        faults.append(f"nino: {fault}")
    benefit = (row.get("benefit") or "").strip().upper()
    if benefit not in codes:
        faults.append(f"benefit: {benefit or '(blank)'} is not a known benefit code")
    try:
        weekly = parse_pounds(row.get("weekly_amount"))
        if weekly < 0:
            faults.append("weekly_amount: must not be negative")
    except MoneyError as exc:
        faults.append(f"weekly_amount: {exc}")
        weekly = 0
    dates = {}
    for name in ("start", "end"):
        text = (row.get(name) or "").strip()
        if not text:
            if name == "start":
                faults.append("start: is missing")
            dates[name] = None
            continue
        try:
            dates[name] = dt.date.fromisoformat(text)
        except ValueError:
            faults.append(f"{name}: must be a date like 2025-04-07")
            dates[name] = None
    if dates.get("start") and dates.get("end") and dates["end"] < dates["start"]:
        faults.append("end: is before start")
    if faults:
        return faults, None
    return [], Award(nino=nino, benefit_id=benefit, weekly_amount_pence=weekly, start=dates["start"], end=dates["end"])
