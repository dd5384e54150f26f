"""Writes for organisations and people."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from liaison.partners.models import Mailbox, Organisation

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated"


@transaction.atomic
def reference_organisations_load(*, la_file: Path | None = None, units_file: Path | None = None) -> dict[str, LoadReport]:
    """Load DM's units and every Local Authority that administers HB. Re-runnable: it updates, never duplicates.

    An LA's intake e-mail, once an administrator has set it, is kept.
    """
    units_data = json.loads((units_file or DATA_DIR / "dm_units.json").read_text(encoding="utf-8"))
    units, las = LoadReport(), LoadReport()
    for unit in units_data["units"]:
        _, created = Organisation.objects.update_or_create(
            code=unit["code"],
            defaults={
                "name": unit["name"], "kind": Organisation.Kind.DM_UNIT, "unit": unit["unit"],
                "nation": unit["nation"], "address_lines": unit.get("address_lines", []),
                "postcode": unit.get("postcode", ""), "intake_email": unit.get("intake_email", ""),
            },
        )
        units.created += created
        units.updated += not created
        org = Organisation.objects.get(code=unit["code"])
        for box in unit.get("mailboxes", []):
            Mailbox.objects.update_or_create(organisation=org, nation=box["nation"], purpose=box["purpose"],
                                             defaults={"email": box["email"]})
    for gov in units_data.get("governments", []):
        # The governments party to the joint-working arrangements (MoU, JSOG): kind GOV, no DM unit.
        _, created = Organisation.objects.update_or_create(
            code=gov["code"],
            defaults={"name": gov["name"], "kind": Organisation.Kind.GOVERNMENT, "unit": "", "nation": gov["nation"],
                      "address_lines": gov.get("address_lines", []), "postcode": gov.get("postcode", ""),
                      "intake_email": gov.get("intake_email", "")},
        )
        units.created += created
        units.updated += not created
    sites = {name: Organisation.objects.get(code=code) for name, code in units_data["ccg_site_codes"].items()}

    existing = {o.code: o for o in Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY)}
    to_create, to_update = [], []
    with open(la_file or DATA_DIR / "local_authorities.csv", newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            site = sites[row["ccg_site"]]
            org = existing.get(row["code"])
            if org is None:
                to_create.append(Organisation(
                    code=row["code"], name=row["name"], kind=Organisation.Kind.LOCAL_AUTHORITY,
                    nation=row["nation"], region=row["region"], ccg_site=site,
                    intake_email=_default_la_email(row["code"]),
                ))
            else:
                org.name, org.nation, org.region = row["name"], row["nation"], row["region"]
                if org.ccg_site_id is None:
                    org.ccg_site = site
                to_update.append(org)
    Organisation.objects.bulk_create(to_create)
    Organisation.objects.bulk_update(to_update, ["name", "nation", "region", "ccg_site"])
    las.created, las.updated = len(to_create), len(to_update)
    return {"dm_units": units, "local_authorities": las}


def _default_la_email(code: str) -> str:
    # A placeholder until the LA's administrator records its real overpayment intake address.
    return f"hb-overpayments.{code.lower()}@la.liaison.invalid"
