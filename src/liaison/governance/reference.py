"""Loading governance reference data: the issue categories and their escalation routes (a data file)."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from liaison.governance.models import Duty, EscalationStep, IssueCategory, Level

DATA_FILE = Path(__file__).resolve().parent / "data" / "issue_categories.json"


@transaction.atomic
def issue_categories_load(*, path: Path | None = None) -> int:
    """Create or update each category and its steps. Re-runnable; an administrator's `active` flag is kept."""
    data = json.loads((path or DATA_FILE).read_text(encoding="utf-8"))
    for item in data["categories"]:
        category, _ = IssueCategory.objects.update_or_create(code=item["code"], defaults={
            "name": item["name"], "description": item.get("description", ""), "source": item.get("source", ""),
            "position": item.get("position", 0)})
        for step in item["steps"]:
            if step["level"] not in Level.values or (step.get("duty") and step["duty"] not in Duty.values):
                raise ValueError(f"bad escalation step in {item['code']}: {step}")
            EscalationStep.objects.update_or_create(category=category, level=step["level"], defaults={
                "duty": step.get("duty", ""), "dm_unit": step.get("dm_unit", ""),
                "group_code": step.get("group_code", "")})
    return len(data["categories"])
