"""The directory: who acts today, absences, alternates and delegates, the SPoC fallback, reviews, who may edit."""

import datetime as dt

import pytest

from liaison.core.errors import ApplicationError
from liaison.governance import services
from liaison.governance.directory import acting_contact
from liaison.governance.history import history_of
from liaison.governance.models import Absence, Contact, Duty

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


def test_the_named_contact_acts_when_not_away(dm_contacts, porth):
    acting = acting_contact(organisation=porth, duty=Duty.SLA_LIAISON, on=TODAY)
    assert (acting.basis, acting.name, acting.email) == ("NAMED", "Emma Owens", "emma.owens@dwp.invalid")


def test_during_an_absence_the_delegate_named_for_it_acts(dm_contacts, porth, sla_liaison):
    services.absence_record(contact=dm_contacts["liaison"], starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=4),
                            delegate_name="Rhys Morgan", delegate_email="rhys@dwp.invalid", actor=sla_liaison, now=NOW)
    acting = acting_contact(organisation=porth, duty=Duty.SLA_LIAISON, on=TODAY + dt.timedelta(days=4))
    assert (acting.basis, acting.name, acting.email) == ("DELEGATE", "Rhys Morgan", "rhys@dwp.invalid")
    assert "MoU 5.3" in " ".join(acting.steps)
    # The day after the absence the named contact is back.
    assert acting_contact(organisation=porth, duty=Duty.SLA_LIAISON, on=TODAY + dt.timedelta(days=5)).basis == "NAMED"


def test_without_a_delegate_the_alternate_acts(dm_contacts, porth, sla_liaison):
    services.absence_record(contact=dm_contacts["liaison"], starts_on=TODAY, ends_on=TODAY, actor=sla_liaison, now=NOW)
    acting = acting_contact(organisation=porth, duty=Duty.SLA_LIAISON, on=TODAY)
    assert (acting.basis, acting.name) == ("ALTERNATE", "Gareth Price")


def test_when_the_alternate_is_away_too_the_spoc_acts(dm_contacts, org, sla_liaison):
    hq = org("DM-HQ")
    services.absence_record(contact=dm_contacts["authorised"], starts_on=TODAY, ends_on=TODAY, actor=sla_liaison,
                            now=NOW)
    acting = acting_contact(organisation=hq, duty=Duty.AUTHORISED_OFFICER, on=TODAY)
    assert (acting.basis, acting.name) == ("SPOC", "Sue Ritson")
    assert "MoU 5.2" in " ".join(acting.steps)


def test_where_nobody_is_named_the_spoc_is_the_first_contact(dm_contacts, org):
    acting = acting_contact(organisation=org("DM-HQ"), duty=Duty.COMPLAINTS, on=TODAY)
    assert (acting.basis, acting.name) == ("SPOC", "Sue Ritson")


def test_with_no_spoc_either_nobody_is_named_and_the_mailbox_is_offered(la):
    acting = acting_contact(organisation=la, duty=Duty.COMPLAINTS, on=TODAY)
    assert acting.basis == "NOBODY" and not acting.found and acting.email == la.intake_email


def test_a_cancelled_absence_no_longer_counts(dm_contacts, porth, sla_liaison):
    absence = services.absence_record(contact=dm_contacts["liaison"], starts_on=TODAY, ends_on=TODAY,
                                      actor=sla_liaison, now=NOW)
    services.absence_cancel(absence=absence, actor=sla_liaison, now=NOW)
    assert acting_contact(organisation=porth, duty=Duty.SLA_LIAISON, on=TODAY).basis == "NAMED"
    assert [e.kind for e in history_of(dm_contacts["liaison"])][:2] == ["contact.absence_cancelled",
                                                                        "contact.absence_recorded"]


def test_one_named_contact_per_duty_and_the_refusal_says_what_to_do(dm_contacts, porth, sla_liaison):
    with pytest.raises(ApplicationError) as refused:
        services.contact_create(organisation=porth, duty=Duty.SLA_LIAISON, name="Someone Else",
                                email="else@dwp.invalid", actor=sla_liaison, now=NOW)
    assert "Emma Owens is already the named contact" in refused.value.extra["faults"]["position"]
    assert Contact.objects.filter(organisation=porth, duty=Duty.SLA_LIAISON).count() == 2


def test_bad_contact_details_are_all_refused_and_nothing_is_saved(la, la_manager):
    with pytest.raises(ApplicationError) as refused:
        services.contact_create(organisation=la, duty="NOT_A_DUTY", name="", email="not-an-email", phone="call me",
                                actor=la_manager, now=NOW)
    faults = refused.value.extra["faults"]
    assert set(faults) == {"duty", "name", "email", "phone"}
    assert Contact.objects.count() == 0


def test_an_absence_must_end_on_or_after_it_starts_and_not_overlap_another(dm_contacts, sla_liaison):
    contact = dm_contacts["liaison"]
    with pytest.raises(ApplicationError) as refused:
        services.absence_record(contact=contact, starts_on=TODAY, ends_on=TODAY - dt.timedelta(days=1),
                                actor=sla_liaison, now=NOW)
    assert "same as or after the first day" in refused.value.extra["faults"]["ends_on"]
    services.absence_record(contact=contact, starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=3),
                            actor=sla_liaison, now=NOW)
    with pytest.raises(ApplicationError) as clash:
        services.absence_record(contact=contact, starts_on=TODAY + dt.timedelta(days=2),
                                ends_on=TODAY + dt.timedelta(days=6), actor=sla_liaison, now=NOW)
    assert "already recorded as away" in clash.value.extra["faults"]["starts_on"]
    assert Absence.objects.count() == 1


def test_an_organisation_edits_only_its_own_contacts(dm_contacts, la, la_officer, other_la_officer, porth):
    services.contact_create(organisation=la, duty=Duty.SPOC, name="Martin Holt", email="m@leeds.invalid",
                            actor=la_officer, now=NOW)
    contact = Contact.objects.get(organisation=la)
    with pytest.raises(ApplicationError) as refused:
        services.contact_update(contact=contact, name="Hijacked", email="x@cardiff.invalid", actor=other_la_officer,
                                now=NOW)
    assert refused.value.status == 403
    with pytest.raises(ApplicationError):
        services.contact_confirm(contact=dm_contacts["liaison"], actor=la_officer, now=NOW)
    contact.refresh_from_db()
    assert contact.name == "Martin Holt"


def test_checking_an_entry_moves_its_review_date_and_is_on_the_history(la, la_officer):
    long_ago = NOW - dt.timedelta(days=400)
    contact = services.contact_create(organisation=la, duty=Duty.SPOC, name="Martin Holt", email="m@leeds.invalid",
                                      actor=la_officer, now=long_ago)
    assert contact.review_overdue(TODAY)
    services.contact_confirm(contact=contact, actor=la_officer, now=NOW)
    contact.refresh_from_db()
    assert contact.last_checked_on == TODAY and not contact.review_overdue(TODAY)
    assert contact.review_due_on == dt.date(2026, 3, 10)
    kinds = [e.kind for e in history_of(contact)]
    assert kinds == ["contact.checked", "contact.created"]


def test_an_update_records_what_changed(la, la_officer):
    contact = services.contact_create(organisation=la, duty=Duty.SPOC, name="Martin Holt", email="m@leeds.invalid",
                                      actor=la_officer, now=NOW)
    services.contact_update(contact=contact, name="Martin Holt", email="martin.holt@leeds.invalid", phone="0113 222",
                            actor=la_officer, now=NOW)
    entry = history_of(contact).first()
    assert entry.kind == "contact.updated"
    assert entry.data["changed"]["email"] == ["m@leeds.invalid", "martin.holt@leeds.invalid"]


def test_a_retired_contact_is_kept_but_no_longer_acts(la, la_officer):
    contact = services.contact_create(organisation=la, duty=Duty.SPOC, name="Martin Holt", email="m@leeds.invalid",
                                      actor=la_officer, now=NOW)
    services.contact_retire(contact=contact, reason="Left the council", actor=la_officer, now=NOW)
    assert Contact.objects.filter(pk=contact.pk, active=False).exists()
    assert acting_contact(organisation=la, duty=Duty.SPOC, on=TODAY).basis == "NOBODY"
    # A new named contact may now be added for the duty (the constraint covers active leads only).
    services.contact_create(organisation=la, duty=Duty.SPOC, name="Ann Lee", email="a@leeds.invalid",
                            actor=la_officer, now=NOW)


def test_the_database_refuses_two_active_leads_for_one_duty(la, la_officer):
    from django.db import IntegrityError, transaction

    services.contact_create(organisation=la, duty=Duty.SPOC, name="A", email="a@leeds.invalid", actor=la_officer,
                            now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(organisation=la, duty=Duty.SPOC, name="B", last_checked_on=TODAY, created_at=NOW)
