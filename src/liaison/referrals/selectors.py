"""Reads, scoped to the organisations party to each case: an LA sees its own, DM sees what it works."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from liaison.notices.models import Notice
from liaison.referrals.models import ImportBatch, Referral, Status


def _scope(qs: QuerySet, user) -> QuerySet:
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_dm_user:
        return qs
    if user.is_la_user and user.organisation_id:
        return qs.filter(la_id=user.organisation_id)
    return qs.none()


def referrals_for(user) -> QuerySet[Referral]:
    return _scope(Referral.objects.all(), user)


def notices_for(user) -> QuerySet[Notice]:
    return _scope(Notice.objects.all(), user)


def import_batches_for(user) -> QuerySet[ImportBatch]:
    return _scope(ImportBatch.objects.all(), user)


def referral_for(user, pk) -> Referral:
    """The referral, or 404 whether it does not exist or belongs to another LA (no hint which)."""
    referral = (referrals_for(user).select_related("la", "case", "reason", "debt", "debt__owning_site",
                                                   "penalty_overpayment", "decided_by", "assigned_to",
                                                   "submitted_by").filter(pk=pk).first())
    if referral is None:
        raise Http404("No such referral")
    return referral


def notice_for(user, pk) -> Notice:
    notice = notices_for(user).select_related("la", "case").filter(pk=pk).first()
    if notice is None:
        raise Http404("No such notice")
    return notice


def import_batch_for(user, pk) -> ImportBatch:
    batch = import_batches_for(user).select_related("la", "uploaded_by").filter(pk=pk).first()
    if batch is None:
        raise Http404("No such file")
    return batch


def queue(*, reason: str = "", assigned: str = "", user=None) -> QuerySet[Referral]:
    qs = Referral.objects.filter(status=Status.QUEUED).select_related("la", "assigned_to").order_by("received_at")
    if reason:
        qs = qs.filter(queue_reason=reason)
    if assigned == "me" and user is not None:
        qs = qs.filter(assigned_to=user)
    elif assigned == "nobody":
        qs = qs.filter(assigned_to__isnull=True)
    return qs
