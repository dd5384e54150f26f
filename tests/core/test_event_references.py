"""The timeline's references are checked by the database per statement (core migration 0003, ADR 0013): what a
foreign key refused is still refused, as an IntegrityError, on both databases."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from liaison.core.bulk import bulk_insert, unsaved
from liaison.core.models import Case, Event
from liaison.partners.models import Organisation, User

pytestmark = pytest.mark.django_db


def event(**fields) -> Event:
    values = {"kind": "test.event", "occurred_at": timezone.now(), "summary": "A step", **fields}
    return unsaved(Event, **values)


@pytest.fixture
def case(la):
    return Case.objects.create(la=la, opened_at=timezone.now())


def test_events_naming_what_exists_are_written_one_by_one_and_in_bulk(case, la, porth, la_officer):
    Event.objects.create(case=case, la=la, kind="test.event", occurred_at=timezone.now(), actor=la_officer,
                         actor_organisation=la, summary="One")
    bulk_insert([event(case_id=case.pk, la_id=la.pk, actor_organisation_id=porth.pk) for _ in range(50)]
                + [event(la_id=la.pk)])  # an LA's event without a case (a remittance, say)
    assert Event.objects.filter(kind="test.event").count() == 52


@pytest.mark.parametrize("wrong", ["case_id", "la_id", "actor_organisation_id", "actor_id"])
def test_an_event_naming_a_case_organisation_or_user_that_does_not_exist_is_refused(case, la, la_officer, wrong):
    good = {"case_id": case.pk, "la_id": la.pk, "actor_organisation_id": la.pk, "actor_id": la_officer.pk}
    missing = {"case_id": Case, "la_id": Organisation, "actor_organisation_id": Organisation, "actor_id": User}[wrong]
    bad = dict(good, **{wrong: missing.objects.order_by("-pk").first().pk + 1000})
    for write in (lambda: bulk_insert([event(**good), event(**bad)]),  # the whole statement is refused
                  lambda: Event.objects.create(**{"kind": "t", "occurred_at": timezone.now(), "summary": "s", **bad})):
        with pytest.raises(IntegrityError), transaction.atomic():
            write()
    assert not Event.objects.filter(kind__in=["test.event", "t"]).exists()


def test_an_event_cannot_be_changed_to_name_a_case_that_does_not_exist(case, la):
    [e] = bulk_insert([event(case_id=case.pk, la_id=la.pk)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.filter(pk=e.pk).update(case_id=case.pk + 1000)
    assert Event.objects.get(pk=e.pk).case_id == case.pk


def test_a_case_organisation_or_user_named_by_events_cannot_be_deleted(case, la, other_la, la_officer):
    # other_la is named by this event only (la is also the case's LA, which has its own guard)
    bulk_insert([event(case_id=case.pk, la_id=la.pk, actor_id=la_officer.pk, actor_organisation_id=other_la.pk)])
    for obj in (case, other_la, la_officer):  # through the ORM: PROTECT, on both databases
        with pytest.raises(ProtectedError), transaction.atomic():
            obj.delete()
    if connection.vendor == "postgresql":  # below the ORM: the database's own guard
        for model, pk in ((Case, case.pk), (Organisation, other_la.pk), (User, la_officer.pk)):
            with pytest.raises(IntegrityError, match="named by timeline events"), transaction.atomic():
                model.objects.filter(pk=pk)._raw_delete(using="default")
    assert Case.objects.filter(pk=case.pk).exists() and User.objects.filter(pk=la_officer.pk).exists()
