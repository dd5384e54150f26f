"""Cases', notices' and outbox e-mails' references are checked by the database per statement (core and notices
migrations 0004, `core.dbchecks`, ADR 0013): what a foreign key refused is still refused, as an IntegrityError."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from liaison.core.bulk import bulk_insert, unsaved
from liaison.core.models import Case
from liaison.notices.models import Notice, OutboxMessage
from liaison.partners.models import Organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def made(la, porth):
    """A case with a notice and its e-mail, all naming what exists."""
    now = timezone.now()
    case = Case.objects.create(la=la, opened_at=now)
    [notice] = bulk_insert([unsaved(Notice, code="HBREC", case_id=case.pk, la_id=la.pk, issued_at=now,
                                    issued_by_id=porth.pk, context={})])
    [email] = bulk_insert([unsaved(OutboxMessage, notice_id=notice.pk, to="a@example.gov.uk", subject="S",
                                   next_attempt_at=now)])
    return case, notice, email


def _missing(model) -> int:
    return model.objects.order_by("-pk").first().pk + 1000


def test_rows_naming_what_exists_are_written(made):
    case, notice, email = made
    assert Notice.objects.get(pk=notice.pk).case_id == case.pk and email.notice_id == notice.pk


@pytest.mark.parametrize("model, field, target", [
    (Case, "la_id", Organisation),
    (Notice, "case_id", Case), (Notice, "la_id", Organisation), (Notice, "issued_by_id", Organisation),
    (OutboxMessage, "notice_id", Notice),
])
def test_a_row_naming_what_does_not_exist_is_refused_written_or_changed(made, model, field, target):
    case, notice, email = made
    row = {Case: case, Notice: notice, OutboxMessage: email}[model]
    values = {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
    before = model.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert([unsaved(model, **values), unsaved(model, **{**values, field: _missing(target)})])
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field: _missing(target)})
    assert model.objects.count() == before and getattr(model.objects.get(pk=row.pk), field) == values[field]


def test_what_they_name_cannot_be_deleted(made, la, porth):
    case, notice, email = made
    for obj in (case, notice, la, porth):  # through the ORM: PROTECT, on both databases
        with pytest.raises(ProtectedError), transaction.atomic():
            obj.delete()
    if connection.vendor == "postgresql":  # below the ORM: the database's own guards
        for model, pk in ((Case, case.pk), (Notice, notice.pk), (Organisation, porth.pk)):
            with pytest.raises(IntegrityError, match="is named by"), transaction.atomic():
                model.objects.filter(pk=pk)._raw_delete(using="default")
    assert Case.objects.filter(pk=case.pk).exists() and Notice.objects.filter(pk=notice.pk).exists()


# --- Referrals (referrals migration 0002) -----------------------------------------------------------------------

@pytest.fixture
def referral(la, la_officer, referral_data, award):
    from liaison.referrals.models import Referral
    from liaison.referrals.services import referrals_receive

    data = referral_data()
    award(data["nino"])
    [result] = referrals_receive(la=la, channel="API", rows=[(None, data)], actor=la_officer)
    return Referral.objects.get(pk=result.referral_id)


def _referral_targets():
    from liaison.partners.models import User
    from liaison.recovery.models import Debt
    from liaison.referrals.models import ImportBatch, Reason, Referral
    return {"case_id": Case, "la_id": Organisation, "submitted_by_id": User, "assigned_to_id": User,
            "decided_by_id": User, "import_batch_id": ImportBatch, "reason_id": Reason,
            "penalty_overpayment_id": Referral, "debt_id": Debt}


@pytest.mark.parametrize("field", list(_referral_targets()))
def test_a_referral_naming_what_does_not_exist_is_refused(referral, field):
    from liaison.referrals.models import Reason, Referral

    target = _referral_targets()[field]
    bad = "NO-SUCH-REASON" if target is Reason else (target.objects.order_by("-pk").first() or referral).pk + 1000
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(**{field: bad})
    assert Referral.objects.filter(pk=referral.pk, status=referral.status, debt_id=referral.debt_id).exists()


def test_a_new_referral_naming_what_does_not_exist_is_refused_with_its_whole_statement(referral, la):
    from liaison.referrals.models import Referral

    now = timezone.now()
    rows = [unsaved(Referral, case_id=Case.objects.create(la=la, opened_at=now).pk, la_id=la.pk, channel="API",
                    received_at=now, status="RETURNED_NON_QUALITY", reason_id=reason) for reason in ("EARNINGS", "NOPE")]
    before = Referral.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_insert(rows)
    assert Referral.objects.count() == before


def test_what_a_referral_names_cannot_be_deleted(referral):
    from liaison.recovery.models import Debt
    from liaison.referrals.models import Reason

    for obj in (referral.debt, Reason.objects.get(pk=referral.reason_id)):
        with pytest.raises(ProtectedError), transaction.atomic():
            obj.delete()
    if connection.vendor == "postgresql":
        for model, pk in ((Debt, referral.debt_id), (Reason, referral.reason_id), (Case, referral.case_id)):
            with pytest.raises(IntegrityError, match="is named by"), transaction.atomic():
                model.objects.filter(pk=pk)._raw_delete(using="default")


@pytest.mark.parametrize("shape, refused", [
    ("a whole range", False), ("a range with a gap no row names", False), ("the missing key named", True),
    ("one past the end", True), ("far apart", True), ("a whole range and one far off", False)])
def test_keys_checked_by_range_refuse_exactly_what_the_exact_check_refuses(la, porth, shape, refused):
    """On PostgreSQL a statement's keys are first counted as a range (ADR 0016): a range whose every key exists is
    let through at once, and anything else is checked key by key, so one missing key is refused wherever it lies,
    and keys that all exist are let through whatever their spread. Notices and events (each table its own
    function) name cases here; referrals take the same path."""
    from liaison.core.bulk import take_ids
    from liaison.core.models import Event

    now = timezone.now()
    first = bulk_insert([unsaved(Case, la=la, opened_at=now) for _ in range(20)])
    if connection.vendor == "postgresql":
        [gone] = take_ids(Case, 1)  # taken from the sequence and never used, as a rolled-back chunk's are
    else:
        gone = Case.objects.create(la=la, opened_at=now).pk
        Case.objects.filter(pk=gone).delete()
    second = bulk_insert([unsaved(Case, la=la, opened_at=now) for _ in range(20)])
    ids = [c.pk for c in first + second]
    assert gone not in ids and ids[0] < gone < ids[-1]
    named = {
        "a whole range": ids[:20],
        "a range with a gap no row names": ids,
        "the missing key named": [*ids, gone],
        "one past the end": [*ids[20:], ids[-1] + 1],
        "far apart": [ids[0], ids[0] + 100_000],
        "a whole range and one far off": [*ids[20:], ids[0]],
    }[shape]
    for model, make in (
            (Notice, lambda case_id: unsaved(Notice, code="HBREC", case_id=case_id, la_id=la.pk, issued_at=now,
                                             issued_by_id=porth.pk, context={})),
            (Event, lambda case_id: unsaved(Event, case_id=case_id, la_id=la.pk, kind="test", occurred_at=now,
                                            summary="s"))):
        before = model.objects.count()
        if refused:
            with pytest.raises(IntegrityError), transaction.atomic():
                bulk_insert([make(case_id) for case_id in named * 3])
            assert model.objects.count() == before
        else:
            bulk_insert([make(case_id) for case_id in named * 3])
            assert model.objects.count() == before + 3 * len(named)
