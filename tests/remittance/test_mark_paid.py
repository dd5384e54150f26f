"""FCG marks a month's payment made: once, by an FCG finance officer, with a reference and the day paid."""

import datetime as dt

import pytest

from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.partners.models import Organisation, Role
from liaison.recovery.ledger import deduction_run
from liaison.remittance.models import Remittance
from liaison.remittance.services import remittance_mark_paid, remittance_run

from .conftest import at, week

pytestmark = pytest.mark.django_db
JUNE = dt.date(2025, 6, 1)


@pytest.fixture
def june(debt_in):
    debt_in()
    deduction_run(week_start=week(0), now=at("2025-06-23"))
    remittance_run(month=JUNE, now=at("2025-07-01"))
    return Remittance.objects.get(month=JUNE)


def test_fcg_marks_a_remittance_paid_and_the_timeline_says_it_was_on_time(june, fcg_officer, la):
    paid = remittance_mark_paid(remittance=june, payment_reference="  BACS-2025-07-0042 ", paid_on=dt.date(2025, 7, 15),
                                actor=fcg_officer, now=at("2025-07-16"))
    paid.refresh_from_db()
    assert (paid.status, paid.paid_on, paid.payment_reference, paid.paid_by) == (
        Remittance.Status.PAID, dt.date(2025, 7, 15), "BACS-2025-07-0042", fcg_officer)
    assert paid.paid_at == at("2025-07-16")
    event = Event.objects.get(kind="remittance.paid")
    assert (event.case_id, event.la_id, event.actor_id) == (None, la.pk, fcg_officer.pk)
    assert event.data == {"remittance_id": june.pk, "month": "2025-06-01", "due_by": "2025-07-31",
                          "paid_on": "2025-07-15", "on_time": True, "total_pence": 1395,
                          "payment_reference": "BACS-2025-07-0042"}
    assert event.summary == "Remittance for June 2025 (£13.95) paid on 15 July 2025, reference BACS-2025-07-0042"


def test_a_payment_after_the_due_date_is_recorded_as_late(june, fcg_officer):
    remittance_mark_paid(remittance=june, payment_reference="LATE-1", paid_on=dt.date(2025, 8, 4), actor=fcg_officer,
                         now=at("2025-08-05"))
    event = Event.objects.get(kind="remittance.paid")
    assert event.data["on_time"] is False and event.summary.endswith("after it was due (31 July 2025)")


def test_marking_paid_twice_is_refused(june, fcg_officer):
    remittance_mark_paid(remittance=june, payment_reference="P1", paid_on=dt.date(2025, 7, 2), actor=fcg_officer,
                         now=at("2025-07-02"))
    with pytest.raises(ApplicationError, match="already marked as paid on 02 July 2025") as exc:
        remittance_mark_paid(remittance=june, payment_reference="P2", paid_on=dt.date(2025, 7, 3), actor=fcg_officer,
                             now=at("2025-07-03"))
    assert exc.value.status == 409
    june.refresh_from_db()
    assert june.payment_reference == "P1" and Event.objects.filter(kind="remittance.paid").count() == 1


@pytest.mark.parametrize("who", ["la_officer", "porth_officer", "ccg_agent"])
def test_only_fcg_finance_officers_and_administrators_may_mark_paid(june, who, request):
    actor = request.getfixturevalue(who)
    with pytest.raises(ApplicationError, match="Only FCG finance officers") as exc:
        remittance_mark_paid(remittance=june, payment_reference="P1", paid_on=dt.date(2025, 7, 2), actor=actor,
                             now=at("2025-07-02"))
    assert exc.value.status == 403
    june.refresh_from_db()
    assert june.status == Remittance.Status.DRAFT and not Event.objects.filter(kind="remittance.paid").exists()


def test_an_administrator_may_mark_paid(june, make_user):
    admin = make_user(Role.ADMIN, Organisation.objects.get(code="DM-FCG"))
    remittance_mark_paid(remittance=june, payment_reference="ADM-1", paid_on=dt.date(2025, 7, 2), actor=admin,
                         now=at("2025-07-02"))
    assert Remittance.objects.get(pk=june.pk).is_paid


@pytest.mark.parametrize(("reference", "paid_on", "faults"), [
    ("", dt.date(2025, 7, 2), {"payment_reference": "Enter the payment reference"}),
    ("x" * 101, dt.date(2025, 7, 2), {"payment_reference": "The payment reference must be 100 characters or fewer"}),
    ("P1", None, {"paid_on": "Enter the date the payment was made"}),
    ("P1", dt.date(2025, 7, 3), {"paid_on": "The date the payment was made must be today or in the past"}),
    ("P1", dt.date(2025, 6, 30), {"paid_on": "The date the payment was made must be on or after 01 July 2025, when "
                                             "the remittance was drawn up"}),
])
def test_faults_in_what_was_given_are_refused_and_nothing_is_saved(june, fcg_officer, reference, paid_on, faults):
    with pytest.raises(ApplicationError) as exc:
        remittance_mark_paid(remittance=june, payment_reference=reference, paid_on=paid_on, actor=fcg_officer,
                             now=at("2025-07-02"))
    assert exc.value.extra == {"faults": faults}
    june.refresh_from_db()
    assert june.status == Remittance.Status.DRAFT and june.payment_reference == ""
