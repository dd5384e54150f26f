"""Reads, scoped to the parties to each case: an LA sees its own casework, DM sees what it works.

Anything of another LA's is a 404 exactly like an object that does not exist (no hint which).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from liaison.casework import limits
from liaison.casework.models import ChangeFile, ChangeOfCircumstances, Complaint, SoeRequest, WorkItem
from liaison.core.calendar import add_working_days
from liaison.core.identifiers import normalise_nino
from liaison.partners.models import Organisation
from liaison.recovery.models import Debt


def _scope(qs: QuerySet, user) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_dm_user:
        return qs
    if user.is_la_user and user.organisation_id:
        return qs.filter(la_id=user.organisation_id)
    return qs.none()


def _one(qs: QuerySet, pk, what: str):
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No such {what}")
    return obj


def changes_for(user) -> QuerySet[ChangeOfCircumstances]:
    return _scope(ChangeOfCircumstances.objects.all(), user)


def change_for(user, pk) -> ChangeOfCircumstances:
    return _one(changes_for(user).select_related("la", "site", "debt", "debt__la", "debt__owning_site", "case",
                                                "submitted_by", "actioned_by", "outcome_by", "suspension",
                                                "work_item", "work_item__assigned_to"), pk, "change")


def complaints_for(user) -> QuerySet[Complaint]:
    """An LA sees a complaint once it has been forwarded to it; DM sees every one."""
    qs = _scope(Complaint.objects.all(), user)
    if getattr(user, "is_la_user", False):
        qs = qs.filter(status=Complaint.Status.FORWARDED)
    return qs


def complaint_for(user, pk) -> Complaint:
    return _one(complaints_for(user).select_related("la", "site", "debt", "case", "recorded_by", "forwarded_by",
                                                   "notice", "work_item", "work_item__assigned_to"), pk, "complaint")


def soe_requests_for(user) -> QuerySet[SoeRequest]:
    return _scope(SoeRequest.objects.all(), user)


def soe_request_for(user, pk) -> SoeRequest:
    return _one(soe_requests_for(user).select_related("la", "site", "debt", "case", "requested_by", "supplied_by",
                                                     "complaint", "work_item", "work_item__assigned_to"), pk,
                "sequence of events request")


def change_files_for(user) -> QuerySet[ChangeFile]:
    return _scope(ChangeFile.objects.all(), user)


def change_file_for(user, pk) -> ChangeFile:
    return _one(change_files_for(user).select_related("la", "uploaded_by"), pk, "file")


def debt_of_la(la_id: int, la_reference: str) -> Debt | None:
    """The LA's own debt with that reference (the latest loaded), or None: another LA's debt is never found."""
    return (Debt.objects.filter(la_id=la_id, la_reference=la_reference.strip()).select_related("la", "case")
            .order_by("-loaded_at", "-id").first())


def debts_matching(text: str) -> list[Debt]:
    """For DM's agents: the debts a debt reference (D00000042) or a National Insurance number names."""
    text = (text or "").strip()
    if text[:1].upper() == "D" and text[1:].isdigit():
        return list(Debt.objects.filter(pk=int(text[1:])).select_related("la"))
    nino = normalise_nino(text)
    if len(nino) == 9:
        return list(Debt.objects.filter(nino=nino).select_related("la").order_by("-loaded_at")[:20])
    return []


# --- Work queues -----------------------------------------------------------------------------------------------

def queue_units() -> QuerySet[Organisation]:
    """The DM units with a casework queue: the four CCG sites and CC Porth."""
    return Organisation.objects.filter(unit__in=[Organisation.Unit.CCG_SITE, Organisation.Unit.CC_PORTH],
                                       active=True).order_by("unit", "name")


def queue_unit(code: str) -> Organisation:
    unit = queue_units().filter(code=code).first()
    if unit is None:
        raise Http404("No such work queue")
    return unit


def home_queue_for(user) -> Organisation | None:
    org = getattr(user, "organisation", None)
    if org is not None and org.unit in (Organisation.Unit.CCG_SITE, Organisation.Unit.CC_PORTH):
        return org
    return None


@dataclass
class QueueFilters:
    kind: str = ""
    due: str = ""  # "overdue", "soon", "later"
    assigned: str = ""  # "me", "nobody"
    la: str = ""  # an LA code


def work_queue(site: Organisation, *, today: dt.date, filters: QueueFilters, user=None) -> QuerySet[WorkItem]:
    """The open work of a unit, oldest due first."""
    qs = (WorkItem.objects.filter(site=site, state=WorkItem.State.OPEN)
          .select_related("la", "debt", "assigned_to", "change", "complaint", "soe_request")
          .order_by("due_on", "received_at", "id"))
    if filters.kind in WorkItem.Kind.values:
        qs = qs.filter(kind=filters.kind)
    soon = add_working_days(today, limits.DUE_SOON_WORKING_DAYS, limits.DM_NATION)
    if filters.due == "overdue":
        qs = qs.filter(due_on__lt=today)
    elif filters.due == "soon":
        qs = qs.filter(due_on__gte=today, due_on__lte=soon)
    elif filters.due == "later":
        qs = qs.filter(due_on__gt=soon)
    if filters.assigned == "me" and user is not None:
        qs = qs.filter(assigned_to=user)
    elif filters.assigned == "nobody":
        qs = qs.filter(assigned_to__isnull=True)
    if filters.la:
        qs = qs.filter(la__code=filters.la.upper())
    return qs


def queue_counts(site: Organisation, *, today: dt.date) -> dict[str, int]:
    """How much open work a unit has: overdue, due soon, due later (one query)."""
    soon = add_working_days(today, limits.DUE_SOON_WORKING_DAYS, limits.DM_NATION)
    return WorkItem.objects.filter(site=site, state=WorkItem.State.OPEN).aggregate(
        total=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)),
        soon=Count("id", filter=Q(due_on__gte=today, due_on__lte=soon)),
        later=Count("id", filter=Q(due_on__gt=soon)))


def queue_las(site: Organisation) -> list[tuple[str, str]]:
    """The LAs with open work in a unit's queue (for the filter)."""
    return list(Organisation.objects.filter(pk__in=WorkItem.objects.filter(site=site, state=WorkItem.State.OPEN)
                                            .values("la_id")).order_by("name").values_list("code", "name"))
