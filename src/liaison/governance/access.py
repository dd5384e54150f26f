"""Which organisations a user acts for in partnership working. Every governance selector and rule reads this.

- DM-wide roles (SLA liaison officer, administrator) act for the whole of DWP Debt Management: every DM unit.
- Other DM users act for their own unit (CC Porth, a CCG site, FCG).
- LA users act for their own Local Authority.
- A user of a government (Scottish Government, DWP's policy side) acts for that government.
"""

from __future__ import annotations

from liaison.partners.models import Organisation, Role

DM_WIDE_ROLES = frozenset({Role.SLA_LIAISON, Role.ADMIN})


def is_dm_wide(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or getattr(user, "role", None) in DM_WIDE_ROLES)


def is_gov_user(user) -> bool:
    org = getattr(user, "organisation", None) if getattr(user, "is_authenticated", False) else None
    return org is not None and org.kind == Organisation.Kind.GOVERNMENT and not user.is_la_user \
        and not user.is_dm_user


def acting_org_ids(user) -> frozenset[int]:
    """The organisations `user` acts for (cached on the user object for the request)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_governance_orgs", None)
    if cached is not None:
        return cached
    if is_dm_wide(user):
        orgs = frozenset(Organisation.objects.filter(kind=Organisation.Kind.DM_UNIT).values_list("id", flat=True))
    elif user.organisation_id and (user.is_dm_user or user.is_la_user or is_gov_user(user)):
        orgs = frozenset({user.organisation_id})
    else:
        orgs = frozenset()
    user._governance_orgs = orgs
    return orgs


def uses_governance(user) -> bool:
    return bool(acting_org_ids(user))


def acts_for(user, organisation_id) -> bool:
    return organisation_id is not None and organisation_id in acting_org_ids(user)


def own_organisation(user):
    """The organisation a user's actions are recorded for: their own; for a DM-wide user without one, DM HQ."""
    if user.organisation_id:
        return user.organisation
    if is_dm_wide(user):
        return Organisation.objects.filter(unit=Organisation.Unit.DM_HQ).first()
    return None
