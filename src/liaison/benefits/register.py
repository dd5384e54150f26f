"""The one interface scrutiny and recovery use to ask "what is this person getting?".

A real CIS connection would implement `BenefitRegister` and be named in settings.LIAISON_BENEFIT_REGISTER.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.db.models import Q
from django.utils.module_loading import import_string


class RegisterUnavailable(Exception):
    """The register could not be asked; a person must decide later."""


@dataclass(frozen=True)
class CurrentAward:
    nino: str
    benefit_code: str
    benefit_name: str
    weekly_amount_pence: int
    start: dt.date
    end: dt.date | None


class BenefitRegister(Protocol):
    def current_prescribed_awards(self, ninos: Iterable[str], *, on: dt.date) -> dict[str, list[CurrentAward]]:
        """For each NINO with at least one current award of a prescribed benefit on `on`, those awards."""


class DatabaseRegister:
    """The register kept in Liaison's own database, loaded from files and edited by administrators."""

    def current_prescribed_awards(self, ninos: Iterable[str], *, on: dt.date) -> dict[str, list[CurrentAward]]:
        from liaison.benefits.models import Award

        found: dict[str, list[CurrentAward]] = defaultdict(list)
        ninos = list(set(ninos))
        for start in range(0, len(ninos), 5000):
            chunk = ninos[start:start + 5000]
            rows = (Award.objects.filter(nino__any=chunk, benefit__prescribed=True, start__lte=on)
                    .filter(Q(end__isnull=True) | Q(end__gte=on))
                    .values_list("nino", "benefit_id", "benefit__name", "weekly_amount_pence", "start", "end"))
            for nino, code, name, weekly, begin, end in rows:
                found[nino].append(CurrentAward(nino, code, name, weekly, begin, end))
        return dict(found)


def get_register() -> BenefitRegister:
    path = getattr(settings, "LIAISON_BENEFIT_REGISTER", "liaison.benefits.register.DatabaseRegister")
    return import_string(path)()
