"""Who do I contact about X at Y, on a given day? [MoU 5.2-5.3, SLA A3]

1. The named contact for the duty, unless a planned absence covers the day.
2. During an absence: the delegate they named for it; otherwise the first alternate who is not away.
3. Where nobody is named for the duty, or nobody is available: the organisation's SPoC, the first contact where
   the lead is unclear (resolved the same way, so an absent SPoC's alternate or delegate acts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from liaison.governance.models import Absence, Contact, Duty, duty_phrase


@dataclass(frozen=True)
class Acting:
    organisation: object
    duty: str
    basis: str  # NAMED, DELEGATE, ALTERNATE, SPOC or NOBODY
    name: str = ""
    job_title: str = ""
    email: str = ""
    phone: str = ""
    contact: Contact | None = None
    steps: tuple[str, ...] = field(default_factory=tuple)

    @property
    def found(self) -> bool:
        return self.basis != "NOBODY"

    @property
    def duty_label(self) -> str:
        return Duty(self.duty).label

    @property
    def user(self):
        return self.contact.user if self.contact is not None else None


def _from_contact(contact: Contact, *, organisation, duty, basis, steps) -> Acting:
    return Acting(organisation=organisation, duty=duty, basis=basis, name=contact.name, job_title=contact.job_title,
                  email=contact.email, phone=contact.phone, contact=contact, steps=tuple(steps))


def acting_contact(*, organisation, duty: str, on: dt.date) -> Acting:
    contacts = list(Contact.objects.filter(organisation=organisation, duty=duty, active=True)
                    .select_related("user").order_by("position", "rank", "id"))  # LEAD sorts before ALTERNATE
    away = _absences_on([c.pk for c in contacts], on)
    lead = next((c for c in contacts if c.position == Contact.Position.LEAD), None)
    steps: list[str] = []
    if lead is not None:
        absence = away.get(lead.pk)
        if absence is None:
            return _from_contact(lead, organisation=organisation, duty=duty, basis="NAMED",
                                 steps=[f"{lead.name} is the named {duty_phrase(duty)} contact at {organisation}."])
        steps.append(f"{lead.name} is away from {absence.starts_on:%-d %B %Y} to {absence.ends_on:%-d %B %Y}.")
        if absence.delegate_name:
            steps.append(f"They named {absence.delegate_name} as their delegate for the absence (MoU 5.3).")
            return Acting(organisation=organisation, duty=duty, basis="DELEGATE", name=absence.delegate_name,
                          email=absence.delegate_email, phone=absence.delegate_phone, steps=tuple(steps))
        for alternate in contacts:
            if alternate.position == Contact.Position.ALTERNATE and alternate.pk not in away:
                steps.append(f"{alternate.name}, their alternate, acts for them (MoU 5.3).")
                return _from_contact(alternate, organisation=organisation, duty=duty, basis="ALTERNATE", steps=steps)
        steps.append("No alternate is available.")
    else:
        steps.append(f"{organisation} names nobody for {duty_phrase(duty)}.")
    if duty != Duty.SPOC:
        spoc = acting_contact(organisation=organisation, duty=Duty.SPOC, on=on)
        if spoc.found:
            steps.append("Where the lead is unclear, the SPoC is the first contact (MoU 5.2).")
            return Acting(organisation=organisation, duty=duty, basis="SPOC", name=spoc.name,
                          job_title=spoc.job_title, email=spoc.email, phone=spoc.phone, contact=spoc.contact,
                          steps=tuple(steps) + spoc.steps)
        steps.extend(spoc.steps)
    return Acting(organisation=organisation, duty=duty, basis="NOBODY",
                  email=getattr(organisation, "intake_email", "") or "", steps=tuple(steps))


def _absences_on(contact_ids: list[int], on: dt.date) -> dict[int, Absence]:
    if not contact_ids:
        return {}
    rows = (Absence.objects.filter(contact_id__in=contact_ids, cancelled_at__isnull=True, starts_on__lte=on,
                                   ends_on__gte=on).order_by("starts_on", "id"))
    found: dict[int, Absence] = {}
    for absence in rows:
        found.setdefault(absence.contact_id, absence)
    return found
