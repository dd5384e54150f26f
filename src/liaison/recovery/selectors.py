from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q

from liaison.recovery.models import InstalmentPlan


def ninos_with_current_instalment_plan(ninos: Iterable[str], *, on: dt.date) -> set[str]:
    ninos = list(set(ninos))
    found: set[str] = set()
    for start in range(0, len(ninos), 5000):
        found.update(InstalmentPlan.objects.filter(nino__in=ninos[start:start + 5000], start__lte=on)
                     .filter(Q(end__isnull=True) | Q(end__gte=on)).values_list("nino", flat=True))
    return found
