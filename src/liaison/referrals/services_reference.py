import csv
from pathlib import Path

from liaison.referrals.models import Reason

DATA_DIR = Path(__file__).resolve().parent / "data"


def reasons_load(*, path: Path | None = None) -> int:
    count = 0
    with open(path or DATA_DIR / "reasons.csv", newline="", encoding="utf-8") as fh:
        for position, row in enumerate(csv.DictReader(fh)):
            Reason.objects.update_or_create(code=row["code"], defaults={"label": row["label"], "position": position})
            count += 1
    return count
