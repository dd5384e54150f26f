"""Scrutiny at CC Porth (DOMAIN §3): each referral gets exactly one outcome, in the order of SLA 7.2."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from liaison.benefits.register import CurrentAward, RegisterUnavailable
from liaison.core.models import Event
from liaison.notices.models import Notice, OutboxMessage
from liaison.recovery.models import Debt, InstalmentPlan
from liaison.referrals.models import Channel, QueueReason, Referral, Status
from liaison.referrals.services import referral_decide, referrals_receive

pytestmark = pytest.mark.django_db


def receive(la, officer, *datas, channel=Channel.API, received_at=None):
    return referrals_receive(la=la, channel=channel, rows=[(None, d) for d in datas], actor=officer,
                             received_at=received_at)


def test_a_good_referral_is_loaded_with_a_debt_hbrec_and_a_timeline(la, la_officer, referral_data, award,
                                                                    django_capture_on_commit_callbacks):
    data = referral_data(outstanding_balance="1234.56", classification="error")
    award(data["nino"], benefit="ESA")
    with django_capture_on_commit_callbacks(execute=True):
        [result] = receive(la, la_officer, data)
    assert result.outcome == Status.LOADED
    referral = Referral.objects.get(pk=result.referral_id)
    debt = referral.debt
    assert debt.original_balance_pence == 123456
    assert debt.la == la and debt.nino == data["nino"] and debt.status == Debt.Status.IN_RECOVERY
    assert debt.owning_site == la.ccg_site
    assert debt.recovery_start_date.weekday() == 0  # a Monday
    assert debt.recovery_start_date >= timezone.localdate() + dt.timedelta(days=14)
    assert debt.weekly_rate_pence in (1365, 1395)  # the standard rate in force (2024/25 or 2025/26 tables)
    [notice] = Notice.objects.filter(case=referral.case)
    assert notice.code == "HBREC"
    assert notice.context["weekly_rate"].startswith("£")
    kinds = list(Event.objects.filter(case=referral.case).order_by("id").values_list("kind", flat=True))
    assert kinds[:3] == ["referral.received", "referral.validated", "referral.loaded"]
    assert "notice.issued" in kinds and "notice.emailed" in kinds
    [email] = mail.outbox
    assert email.to == [la.intake_email]
    assert email.attachments[0][0].startswith("HBREC-") and email.attachments[0][1][:4] == b"%PDF"
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.SENT


def test_fraud_is_recovered_at_the_fraud_rate_never_above_the_balance(la, la_officer, referral_data, award):
    big = referral_data(classification="fraud", outstanding_balance="900.00")
    small = referral_data(classification="fraud", outstanding_balance="5.00")
    award(big["nino"])
    award(small["nino"])
    r_big, r_small = receive(la, la_officer, big, small)
    big_debt = Referral.objects.get(pk=r_big.referral_id).debt
    assert big_debt.weekly_rate_pence in (2275, 2325)
    assert Referral.objects.get(pk=r_small.referral_id).debt.weekly_rate_pence == 500


def test_non_quality_is_returned_with_laretm_listing_every_fault(la, la_officer, referral_data):
    data = referral_data(nino="QQ123456A", postcode="NOWHERE", outstanding_balance="0")
    [result] = receive(la, la_officer, data)
    assert result.outcome == Status.RETURNED_NON_QUALITY
    fields = {f["field"] for f in result.faults}
    assert {"nino", "postcode", "outstanding_balance"} <= fields
    referral = Referral.objects.get(pk=result.referral_id)
    assert referral.debt is None
    notice = Notice.objects.get(case=referral.case)
    assert notice.code == "LARETM"
    assert len(notice.context["faults"]) == len(result.faults) >= 3
    assert Debt.objects.count() == 0


def test_no_prescribed_benefit_is_returned_with_laret(la, la_officer, referral_data, award):
    data = referral_data()
    award(data["nino"], benefit="UC")  # Universal Credit is not a prescribed benefit
    [result] = receive(la, la_officer, data)
    assert result.outcome == Status.RETURNED_NO_BENEFIT
    assert Notice.objects.get(case__referral__pk=result.referral_id).code == "LARET"


def test_an_award_that_ended_does_not_count(la, la_officer, referral_data, award):
    data = referral_data()
    today = timezone.localdate()
    award(data["nino"], start=today - dt.timedelta(days=300), end=today - dt.timedelta(days=1))
    [result] = receive(la, la_officer, data)
    assert result.outcome == Status.RETURNED_NO_BENEFIT


def test_a_current_instalment_plan_means_a_clerical_notice_not_a_debt(la, la_officer, referral_data, award):
    data = referral_data()
    award(data["nino"])
    InstalmentPlan.objects.create(nino=data["nino"], reference="IP1", start=timezone.localdate() - dt.timedelta(days=9))
    [result] = receive(la, la_officer, data)
    assert result.outcome == Status.NOT_LOADED_INSTALMENT_PLAN
    notice = Notice.objects.get(case__referral__pk=result.referral_id)
    assert notice.code == "CLERICAL" and "instalment plan" in notice.context["explanation"]
    assert Debt.objects.count() == 0


def test_same_customer_period_and_balance_is_a_duplicate(la, la_officer, referral_data, award):
    first = referral_data()
    award(first["nino"])
    second = dict(first, la_reference="LDS/OTHER/1")
    r1, r2 = receive(la, la_officer, first), receive(la, la_officer, second)
    assert r1[0].outcome == Status.LOADED
    assert r2[0].outcome == Status.NOT_LOADED_DUPLICATE
    assert Debt.objects.count() == 1


def test_an_overlapping_period_with_a_different_balance_waits_for_an_officer(la, la_officer, porth_officer,
                                                                            referral_data, award):
    first = referral_data()
    award(first["nino"])
    near = dict(first, la_reference="LDS/NEAR/1", outstanding_balance="77.70")
    receive(la, la_officer, first)
    [result] = receive(la, la_officer, near)
    assert result.outcome == Status.QUEUED
    referral = Referral.objects.get(pk=result.referral_id)
    assert referral.queue_reason == QueueReason.POSSIBLE_DUPLICATE
    assert not Notice.objects.filter(case=referral.case).exists()  # nothing is sent until an officer decides

    referral_decide(referral=referral, outcome=Status.LOADED, reasons="A second, separate overpayment period.",
                    actor=porth_officer)
    referral.refresh_from_db()
    assert referral.status == Status.LOADED and referral.debt is not None
    assert referral.decided_by == porth_officer
    assert Notice.objects.get(case=referral.case).code == "HBREC"
    decided = Event.objects.get(case=referral.case, kind="referral.loaded")
    assert decided.actor == porth_officer


def test_a_decided_referral_cannot_be_decided_again(la, la_officer, porth_officer, referral_data, award):
    from liaison.core.errors import ApplicationError

    data = referral_data()
    award(data["nino"])
    [result] = receive(la, la_officer, data)
    referral = Referral.objects.get(pk=result.referral_id)
    with pytest.raises(ApplicationError):
        referral_decide(referral=referral, outcome=Status.NOT_LOADED_DUPLICATE, reasons="x", actor=porth_officer)
    referral.refresh_from_db()
    assert referral.status == Status.LOADED


def test_a_decision_needs_reasons(la, la_officer, porth_officer, referral_data, award, settings):
    from liaison.core.errors import ApplicationError

    settings.LIAISON_BENEFIT_REGISTER = "tests.referrals.test_scrutiny.DownRegister"
    [result] = receive(la, la_officer, referral_data())
    referral = Referral.objects.get(pk=result.referral_id)
    with pytest.raises(ApplicationError) as exc:
        referral_decide(referral=referral, outcome=Status.LOADED, reasons="  ", actor=porth_officer)
    assert exc.value.extra["faults"] == {"reasons": "Give the reasons for your decision"}
    referral.refresh_from_db()
    assert referral.status == Status.QUEUED


class DownRegister:
    def current_prescribed_awards(self, ninos, *, on):
        raise RegisterUnavailable("CIS is down")


def test_when_the_register_cannot_be_asked_referrals_wait_in_the_queue(la, la_officer, referral_data, settings):
    settings.LIAISON_BENEFIT_REGISTER = "tests.referrals.test_scrutiny.DownRegister"
    [result] = receive(la, la_officer, referral_data())
    referral = Referral.objects.get(pk=result.referral_id)
    assert referral.status == Status.QUEUED and referral.queue_reason == QueueReason.REGISTER_UNAVAILABLE


def _checked_ahead(la, datas, *, registers):
    """The rows validated, and the registers as a bulk file's reader would have looked them up ahead."""
    from liaison.referrals.services import Reason, referrals_check

    today = timezone.localdate()
    checked = referrals_check([(None, d) for d in datas], la_code=la.code, today=today,
                              reason_codes=frozenset(Reason.objects.filter(active=True).values_list("code", flat=True)))
    checked.registers = registers
    return checked


def test_registers_looked_up_ahead_decide_scrutiny(la, la_officer, referral_data, award):
    # What the reader looked up ahead is what scrutiny goes by: here it saw an award for neither customer, though
    # one has an award now, so that one is returned as well; and it saw a plan for the other, which has none now.
    from liaison.referrals.services import Registers

    with_award, planned = referral_data(), referral_data()
    award(with_award["nino"])
    seen = CurrentAward(planned["nino"], "ESA", "Employment and Support Allowance", 9000, timezone.localdate(), None)
    ahead = Registers(ninos=frozenset({with_award["nino"], planned["nino"]}), awards={planned["nino"]: [seen]},
                      planned={planned["nino"]})
    datas = [with_award, planned]
    results = referrals_receive(la=la, channel=Channel.FILE, rows=[(None, d) for d in datas], actor=la_officer,
                                checked=_checked_ahead(la, datas, registers=ahead))
    assert [r.outcome for r in results] == [Status.RETURNED_NO_BENEFIT, Status.NOT_LOADED_INSTALMENT_PLAN]


def test_customers_the_reader_did_not_look_up_are_looked_up_at_scrutiny(la, la_officer, referral_data, award):
    from liaison.referrals.services import Registers

    seen, unseen = referral_data(), referral_data()
    award(seen["nino"]), award(unseen["nino"])
    ahead = Registers(ninos=frozenset({seen["nino"]}), awards={}, planned=set())  # the other one missed
    datas = [seen, unseen]
    results = referrals_receive(la=la, channel=Channel.FILE, rows=[(None, d) for d in datas], actor=la_officer,
                                checked=_checked_ahead(la, datas, registers=ahead))
    assert [r.outcome for r in results] == [Status.LOADED, Status.LOADED]  # both looked up afresh, together


def test_a_register_unreachable_ahead_is_asked_again_at_scrutiny(la, la_officer, referral_data, award):
    from liaison.referrals.services import Registers

    data = referral_data()
    award(data["nino"])
    ahead = Registers(ninos=frozenset({data["nino"]}), awards=None, planned=set())
    [result] = referrals_receive(la=la, channel=Channel.FILE, rows=[(None, data)], actor=la_officer,
                                 checked=_checked_ahead(la, [data], registers=ahead))
    assert result.outcome == Status.LOADED


def test_a_resent_referral_is_recognised_and_never_loaded_twice(la, la_officer, referral_data, award):
    data = referral_data()
    award(data["nino"])
    [first] = receive(la, la_officer, data)
    [again] = receive(la, la_officer, data)
    assert again.outcome == "RESENT" and again.referral_id == first.referral_id
    assert Referral.objects.count() == 1 and Debt.objects.count() == 1
    assert Event.objects.filter(kind="referral.resent").count() == 1


def test_a_returned_referral_can_be_corrected_and_sent_again(la, la_officer, referral_data, award):
    data = referral_data(postcode="XX")
    award(data["nino"])
    [first] = receive(la, la_officer, data)
    assert first.outcome == Status.RETURNED_NON_QUALITY
    [second] = receive(la, la_officer, dict(data, postcode="LS1 4DY"))
    assert second.outcome == Status.LOADED and second.referral_id != first.referral_id


def test_a_civil_penalty_is_loaded_linked_to_its_overpayment(la, la_officer, referral_data, award):
    overpayment = referral_data()
    award(overpayment["nino"])
    penalty = dict(overpayment, la_reference="LDS/CP/1", civil_penalty="yes",
                   civil_penalty_overpayment_reference=overpayment["la_reference"], outstanding_balance="50.00")
    r_op, r_cp = receive(la, la_officer, overpayment, penalty)  # in one batch, overpayment first
    assert (r_op.outcome, r_cp.outcome) == (Status.LOADED, Status.LOADED)
    cp = Referral.objects.get(pk=r_cp.referral_id)
    assert cp.penalty_overpayment_id == r_op.referral_id
    assert cp.debt.is_civil_penalty and cp.debt.overpayment == Referral.objects.get(pk=r_op.referral_id).debt


def test_a_civil_penalty_for_an_unknown_overpayment_is_non_quality(la, la_officer, referral_data, award):
    data = referral_data(civil_penalty="yes", civil_penalty_overpayment_reference="NOPE/1")
    award(data["nino"])
    [result] = receive(la, la_officer, data)
    assert result.outcome == Status.RETURNED_NON_QUALITY
    assert result.faults[0]["field"] == "civil_penalty_overpayment_reference"


def test_an_la_code_that_is_not_the_referring_las_is_a_fault(la, la_officer, referral_data, award):
    data = referral_data(la_code="W06000015")
    award(data["nino"])
    [result] = receive(la, la_officer, data)
    assert result.outcome == Status.RETURNED_NON_QUALITY
    assert result.faults == [{"field": "la_code", "label": "LA code",
                              "message": "LA code W06000015 is not your authority's code (E08000035)"}]


def test_a_batch_is_atomic_when_the_database_refuses(la, la_officer, referral_data, award, monkeypatch):
    """If anything fails part way, nothing of the batch is recorded (no half-loaded referral)."""
    from liaison.referrals import services

    data = referral_data()
    award(data["nino"])

    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "notices_issue", boom)
    with pytest.raises(RuntimeError):
        receive(la, la_officer, data)
    assert Referral.objects.count() == 0 and Debt.objects.count() == 0 and Event.objects.count() == 0
