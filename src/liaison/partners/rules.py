"""Who may do what, as predicates (django-rules). Organisation scoping of lists lives in each app's selectors."""

import rules

from liaison.partners.models import Role


@rules.predicate
def is_la_user(user):
    return getattr(user, "is_la_user", False)


@rules.predicate
def is_dm_user(user):
    return getattr(user, "is_dm_user", False)


def has_role(*roles):
    names = {str(r) for r in roles}

    @rules.predicate(name=f"has_role({','.join(sorted(names))})")
    def predicate(user):
        return getattr(user, "role", None) in names or getattr(user, "is_superuser", False)

    return predicate


@rules.predicate
def party_to(user, obj):
    """True when the user's organisation is a party to `obj` (something with an `la_id`): its LA, or DM."""
    if obj is None:
        return False
    if getattr(user, "is_dm_user", False):
        return True
    return getattr(user, "is_la_user", False) and user.organisation_id is not None and \
        getattr(obj, "la_id", None) == user.organisation_id


rules.add_perm("referrals.refer", is_la_user)
rules.add_perm("referrals.view", party_to)
rules.add_perm("referrals.scrutinise", has_role(Role.PORTH_OFFICER, Role.ADMIN))
rules.add_perm("benefits.manage_register", has_role(Role.ADMIN))
rules.add_perm("remittance.mark_paid", has_role(Role.FCG_FINANCE, Role.ADMIN))
rules.add_perm("recovery.manage", has_role(Role.CCG_AGENT, Role.ADMIN))
rules.add_perm("recovery.bulk_suspend", has_role(Role.SLA_LIAISON, Role.ADMIN))
rules.add_perm("sla.manage_targets", has_role(Role.SLA_LIAISON, Role.ADMIN))
# Casework: an LA sends changes, asks for sequences of events and records appeal outcomes; DM's agents work the
# queues (CC Porth included, for what it receives); only CCG agents action a change (it moves money on the ledger).
rules.add_perm("casework.notify", is_la_user)
rules.add_perm("casework.work", has_role(Role.CCG_AGENT, Role.PORTH_OFFICER, Role.ADMIN))
rules.add_perm("casework.action", has_role(Role.CCG_AGENT, Role.ADMIN))
