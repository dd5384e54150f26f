"""Reads, scoped to the organisations a user acts for (see `access`).

- The issues log: an organisation sees the entries it raised, that concern it, or that are routed to it.
- Agreements: their two parties. Groups, meetings, milestones and their actions: the organisations in the group.
- Engagement rounds: the organiser's organisation (participants use their private link).
- The directory: DM's units and the governments for everyone; an LA's entries for that LA and for DM and the
  governments (never for another LA).

A record outside a user's scope is a 404, with no hint whether it exists.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from liaison.governance.access import acting_org_ids
from liaison.governance.models import (
    Absence,
    Action,
    Agreement,
    AgreementNotice,
    Contact,
    EngagementResponse,
    EngagementRound,
    Evidence,
    Group,
    Issue,
    Meeting,
    Milestone,
    Variation,
)
from liaison.partners.models import Organisation


def _one(qs: QuerySet, pk, what: str):
    try:
        obj = qs.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise Http404(f"No such {what}")
    return obj


# --- The directory ----------------------------------------------------------------------------------------

def directory_organisations(user) -> QuerySet[Organisation]:
    orgs = acting_org_ids(user)
    if not orgs:
        return Organisation.objects.none()
    if getattr(user, "is_la_user", False):
        return Organisation.objects.filter(Q(kind__in=[Organisation.Kind.DM_UNIT, Organisation.Kind.GOVERNMENT])
                                           | Q(pk__in=orgs))
    return Organisation.objects.all()


def directory_organisation(user, code: str) -> Organisation:
    org = directory_organisations(user).filter(code=(code or "").upper()[:16]).first() or \
        directory_organisations(user).filter(code=code).first()
    if org is None:
        raise Http404("No such organisation")
    return org


def contacts_for(user) -> QuerySet[Contact]:
    return Contact.objects.filter(organisation__in=directory_organisations(user))


def contact_for(user, pk) -> Contact:
    return _one(contacts_for(user).select_related("organisation", "last_checked_by"), pk, "contact")


def absence_for(user, pk) -> Absence:
    return _one(Absence.objects.filter(contact__in=contacts_for(user)).select_related("contact__organisation"), pk,
                "absence")


# --- The issues log ---------------------------------------------------------------------------------------

def issues_for(user) -> QuerySet[Issue]:
    orgs = acting_org_ids(user)
    if not orgs:
        return Issue.objects.none()
    return Issue.objects.filter(Q(raised_by_org__in=orgs) | Q(concerns__in=orgs) | Q(routed_to_org__in=orgs))


def issue_for(user, pk) -> Issue:
    return _one(issues_for(user).select_related("category", "raised_by", "raised_by_org", "concerns",
                                                "routed_to_org", "owner", "group"), pk, "entry")


def evidence_for(user, pk) -> Evidence:
    return _one(Evidence.objects.filter(issue__in=issues_for(user)).select_related("issue"), pk, "file")


def groups_for(user) -> QuerySet[Group]:
    orgs = acting_org_ids(user)
    if not orgs:
        return Group.objects.none()
    ids = Group.objects.filter(Q(side_a_org__in=orgs) | Q(side_b_org__in=orgs)
                               | Q(members__organisation__in=orgs, members__active=True)).values("pk")
    return Group.objects.filter(pk__in=ids)


def actions_for(user) -> QuerySet[Action]:
    return Action.objects.filter(Q(issue__in=issues_for(user)) | Q(meeting__group__in=groups_for(user)))


def action_for(user, pk) -> Action:
    return _one(actions_for(user).select_related("issue", "meeting__group"), pk, "action")


# --- Agreements -------------------------------------------------------------------------------------------

def agreements_for(user) -> QuerySet[Agreement]:
    orgs = acting_org_ids(user)
    if not orgs:
        return Agreement.objects.none()
    return Agreement.objects.filter(Q(party_a__in=orgs) | Q(party_b__in=orgs))


def agreement_for(user, pk) -> Agreement:
    return _one(agreements_for(user).select_related("party_a", "party_b", "created_by"), pk, "agreement")


def variation_for(user, pk) -> Variation:
    return _one(Variation.objects.filter(agreement__in=agreements_for(user)).select_related("agreement"), pk,
                "variation")


def agreement_notice_for(user, pk) -> AgreementNotice:
    return _one(AgreementNotice.objects.filter(agreement__in=agreements_for(user)).select_related("agreement"), pk,
                "notice")


# --- Meetings ---------------------------------------------------------------------------------------------

def group_for(user, pk) -> Group:
    return _one(groups_for(user).select_related("side_a_org", "side_b_org", "parent"), pk, "group")


def meeting_for(user, pk) -> Meeting:
    return _one(Meeting.objects.filter(group__in=groups_for(user)).select_related(
        "group__side_a_org", "group__side_b_org", "minutes_drafted_by", "cleared_a_by", "cleared_b_by",
        "circulated_by"), pk, "meeting")


def milestone_for(user, pk) -> Milestone:
    return _one(Milestone.objects.filter(group__in=groups_for(user)).select_related("group"), pk, "milestone")


# --- Engagement -------------------------------------------------------------------------------------------

def rounds_for(user) -> QuerySet[EngagementRound]:
    orgs = acting_org_ids(user)
    if not orgs:
        return EngagementRound.objects.none()
    return EngagementRound.objects.filter(organiser_org__in=orgs)


def round_for(user, pk) -> EngagementRound:
    return _one(rounds_for(user).select_related("organiser_org"), pk, "engagement round")


def response_for(user, pk) -> EngagementResponse:
    return _one(EngagementResponse.objects.filter(participant__round__in=rounds_for(user))
                .select_related("participant__round", "question"), pk, "response")


def theme_summary(rnd: EngagementRound) -> list[dict]:
    """Each theme with how many answers carry it and, by participant kind, without a name in sight."""
    rows = []
    for theme in rnd.themes.prefetch_related("responses__participant", "responses__question").order_by("name"):
        responses = list(theme.responses.all())
        kinds: dict[str, int] = {}
        for r in responses:
            label = r.participant.get_kind_display()
            kinds[label] = kinds.get(label, 0) + 1
        rows.append({"theme": theme, "count": len(responses), "kinds": sorted(kinds.items())})
    rows.sort(key=lambda r: (-r["count"], r["theme"].name))
    return rows
