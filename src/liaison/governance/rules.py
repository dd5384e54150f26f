"""Governance permissions (django-rules, autodiscovered). Scoping of lists and records is in `selectors`."""

import rules

from liaison.governance import access


@rules.predicate
def uses_governance(user):
    return access.uses_governance(user)


@rules.predicate
def edits_contacts_of(user, organisation):
    return organisation is not None and access.acts_for(user, organisation.pk)


@rules.predicate
def creates_agreements(user):
    return access.is_dm_wide(user) or access.is_gov_user(user)


rules.add_perm("governance.use", uses_governance)
rules.add_perm("governance.edit_contacts", edits_contacts_of)
rules.add_perm("governance.create_agreement", creates_agreements)
rules.add_perm("governance.create_group", creates_agreements)
rules.add_perm("governance.organise_engagement", creates_agreements)
