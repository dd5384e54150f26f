"""Changes of circumstances (SLA Appendix 7): received, routed, actioned with each kind's effect, and refused.

Fixed dates throughout: debts are loaded on Monday 2 June 2025, changes arrive on Tuesday 1 July 2025.
"""

from __future__ import annotations

import datetime as dt

import pytest

from liaison.casework.models import AppealOutcome, ChangeStatus, WorkItem
from liaison.casework.services import ChangeRefused, appeal_outcome_record, change_action, change_notify
from liaison.core.errors import ApplicationError
from liaison.core.models import Event
from liaison.notices.models import Notice, OutboxMessage
from liaison.recovery.ledger import deduction_run
from liaison.recovery.models import Debt, LedgerEntry, Suspension

from .conftest import FIRST_WEEK, LOADED_AT, NOW, snapshot

pytestmark = pytest.mark.django_db
LATER = NOW + dt.timedelta(days=2)  # Thursday 3 July 2025: the agent actions it


def week(n: int) -> dt.date:
    return FIRST_WEEK + dt.timedelta(weeks=n)


def entries(debt) -> list[tuple[str, bool, int]]:
    return list(LedgerEntry.objects.filter(debt=debt).order_by("id").values_list("kind", "is_cash", "amount_pence"))


def notice_codes(debt) -> list[str]:
    return list(Notice.objects.filter(case=debt.case).order_by("id").values_list("code", flat=True))


# --- Received and routed ---------------------------------------------------------------------------------------

def test_a_change_goes_to_the_site_on_the_notice_of_recovery_due_in_ten_working_days(loaded_debt, notify, la,
                                                                                         la_officer):
    debt = loaded_debt()
    change = notify(debt, change="now_on_hb", details="HB claim from 23 June 2025")
    assert change.site.code == "DM-CCG-BRADFORD" == debt.owning_site.code  # Leeds' recovery start letter names it
    assert (change.status, change.kind, change.la_told_on) == (ChangeStatus.RECEIVED, "NOW_ON_HB", dt.date(2025, 6, 27))
    assert change.received_at == NOW and change.due_on == dt.date(2025, 7, 15)  # 10 working days from Tue 1 July
    item = WorkItem.objects.get(change=change)
    assert (item.site, item.standard, item.due_on, item.state) == (change.site, "COC-ACTION", change.due_on, "OPEN")
    [event] = Event.objects.filter(case=debt.case, kind="coc.received")
    assert event.occurred_at == NOW and event.la == la == debt.la and event.case == debt.case
    assert (event.actor, event.actor_organisation) == (la_officer, la)
    assert event.data["la_told_on"] == "2025-06-27" and event.data["coc_id"] == change.pk
    assert event.data["kind"] == "NOW_ON_HB"


def test_with_no_notice_of_recovery_held_the_change_goes_to_dearne_valley(loaded_debt, notify):
    debt = loaded_debt()
    hbrec = Notice.objects.filter(case=debt.case, code="HBREC")
    OutboxMessage.objects.filter(notice__in=hbrec).delete()
    hbrec.delete()
    assert notify(debt).site.code == "DM-CCG-DEARNE"


def test_the_due_date_counts_working_days_on_dms_calendar_across_a_bank_holiday(loaded_debt, notify):
    debt = loaded_debt()
    # Wednesday 20 August 2025 + 10 working days, skipping the summer bank holiday (Monday 25 August, England).
    change = notify(debt, now=dt.datetime(2025, 8, 20, 11, 0, tzinfo=dt.UTC), la_told_on="2025-08-19")
    assert change.due_on == dt.date(2025, 9, 4)


# --- Actioned: each kind's effect ---------------------------------------------------------------------------------

def test_repaid_in_full_settles_the_balance_closes_the_debt_and_sends_hbpif(loaded_debt, notify, ccg_agent):
    debt = loaded_debt(balance="100.00")
    deduction_run(week_start=week(0), now=NOW)  # £13.95 recovered first
    change = notify(debt, change="repaid_in_full")
    change_action(change=change, actor=ccg_agent, now=LATER)
    debt.refresh_from_db()
    assert (debt.status, debt.balance_pence, debt.closed_at) == (Debt.Status.PAID_IN_FULL, 0, LATER)
    # The rest is settled by a non-cash entry: DM holds no money for it, so nothing more is remitted.
    assert entries(debt) == [("DEDUCTION", True, 1395), ("SETTLED_BY_LA", False, 10000 - 1395)]
    assert notice_codes(debt) == ["HBREC", "HBPIF"]
    hbpif = Notice.objects.get(case=debt.case, code="HBPIF")
    assert "repaid your authority in full" in hbpif.context["explanation"] and hbpif.issued_at == LATER
    change.refresh_from_db()
    assert (change.status, change.actioned_by, change.actioned_at) == (ChangeStatus.ACTIONED, ccg_agent, LATER)
    assert "£86.05 settled" in change.effect
    assert WorkItem.objects.get(change=change).state == "DONE"
    [event] = Event.objects.filter(case=debt.case, kind="coc.actioned")
    assert (event.occurred_at, event.actor, event.la) == (LATER, ccg_agent, debt.la)
    assert Event.objects.filter(case=debt.case, kind="debt.paid_in_full").count() == 1


@pytest.mark.parametrize(("kind", "reason"), [("now_on_hb", Debt.StopReason.NOW_ON_HB),
                                              ("la_arrangements", Debt.StopReason.LA_ARRANGEMENTS)])
def test_now_on_hb_or_own_arrangements_stop_recovery_and_return_the_rest_with_laret(loaded_debt, notify, ccg_agent,
                                                                                    kind, reason):
    debt = loaded_debt(balance="250.00")
    change = notify(debt, change=kind)
    change_action(change=change, actor=ccg_agent, now=LATER)
    debt.refresh_from_db()
    assert (debt.status, debt.stop_reason, debt.balance_pence) == (Debt.Status.RETURNED, reason, 0)
    assert entries(debt) == [("RETURNED_TO_LA", False, 25000)]
    laret = Notice.objects.get(case=debt.case, code="LARET")
    assert laret.context["reason"] == reason.label and laret.context["balance"] == "£250.00"
    assert laret.context["identified_on"] == "01 July 2025"  # the day DM received the change
    assert change.reference in debt.stop_details
    deduction_run(week_start=week(0), now=LATER)
    assert len(entries(debt)) == 1


def test_an_appeal_suspends_recovery_until_the_la_records_the_outcome(loaded_debt, notify, ccg_agent):
    debt = loaded_debt(balance="100.00")
    change = notify(debt, change="appealed", details="Appeal lodged with the tribunal on 25 June 2025")
    change_action(change=change, actor=ccg_agent, now=LATER)
    change.refresh_from_db()
    assert change.status == ChangeStatus.AWAITING_OUTCOME
    suspension = Suspension.objects.get(debt=debt)
    assert (suspension.starts, suspension.ends) == (dt.date(2025, 7, 3), None) and change.suspension == suspension
    assert notice_codes(debt) == ["HBREC", "COCACT"]
    assert "suspended" in Notice.objects.get(case=debt.case, code="COCACT").context["heading"]
    deduction_run(week_start=week(2), now=LATER)  # the week of 30 June: suspended from 3 July
    deduction_run(week_start=week(3), now=LATER)
    assert entries(debt) == []
    assert WorkItem.objects.get(change=change).state == "DONE"  # COC-ACTION's clock stopped when it was actioned


def _appealed(loaded_debt, notify, ccg_agent, balance="100.00"):
    debt = loaded_debt(balance=balance)
    deduction_run(week_start=week(0), now=NOW)  # £13.95 recovered before the appeal
    change = notify(debt, change="appealed")
    change_action(change=change, actor=ccg_agent, now=LATER)
    return debt, change


def test_an_upheld_appeal_lifts_the_suspension_and_recovery_resumes(loaded_debt, notify, ccg_agent, la_officer):
    debt, change = _appealed(loaded_debt, notify, ccg_agent)
    decided = dt.datetime(2025, 7, 16, 10, 0, tzinfo=dt.UTC)
    appeal_outcome_record(change=change, outcome=AppealOutcome.UPHELD, actor=la_officer, now=decided)
    change.refresh_from_db()
    assert (change.status, change.outcome, change.outcome_by) == (ChangeStatus.CONCLUDED, "UPHELD", la_officer)
    assert Suspension.objects.get(debt=debt).ends == dt.date(2025, 7, 16)
    deduction_run(week_start=week(5), now=decided)  # week of 21 July
    assert [e[0] for e in entries(debt)] == ["DEDUCTION", "DEDUCTION"]
    assert notice_codes(debt) == ["HBREC", "COCACT", "COCACT"]
    [event] = Event.objects.filter(case=debt.case, kind="coc.outcome_recorded")
    assert (event.occurred_at, event.actor, event.data["outcome"]) == (decided, la_officer, "UPHELD")


def test_a_reduced_appeal_lowers_the_debt_by_a_reduction_entry_and_recovery_resumes(loaded_debt, notify, ccg_agent,
                                                                                   la_officer):
    debt, change = _appealed(loaded_debt, notify, ccg_agent)
    appeal_outcome_record(change=change, outcome=AppealOutcome.REDUCED, amount_pence=5000, actor=la_officer,
                          details="Tribunal decision of 14 July 2025", now=LATER)
    debt.refresh_from_db()
    assert debt.status == Debt.Status.IN_RECOVERY and debt.balance_pence == 10000 - 1395 - 5000
    assert entries(debt) == [("DEDUCTION", True, 1395), ("REDUCTION", False, 5000)]
    assert Suspension.objects.get(debt=debt).ends == LATER.date()
    letter = Notice.objects.filter(case=debt.case, code="COCACT").last()
    assert letter.context["current_balance"] == "£36.05" and "reduced by £50.00 to £36.05" in letter.context[
        "explanation"]


def test_a_cancelled_appeal_takes_off_the_whole_balance_and_cancels_the_debt(loaded_debt, notify, ccg_agent,
                                                                             la_officer):
    debt, change = _appealed(loaded_debt, notify, ccg_agent)
    appeal_outcome_record(change=change, outcome=AppealOutcome.CANCELLED, actor=la_officer, now=LATER)
    debt.refresh_from_db()
    assert (debt.status, debt.balance_pence, debt.closed_at) == (Debt.Status.CANCELLED, 0, LATER)
    assert entries(debt) == [("DEDUCTION", True, 1395), ("REDUCTION", False, 10000 - 1395)]
    change.refresh_from_db()
    assert change.outcome_amount_pence == 8605
    letter = Notice.objects.filter(case=debt.case, code="COCACT").last()
    assert "cancelled" in letter.context["explanation"] and "£13.95 already recovered" in letter.context["explanation"]
    assert Event.objects.filter(case=debt.case, kind="debt.cancelled").count() == 1
    deduction_run(week_start=week(5), now=LATER)
    assert len(entries(debt)) == 2


def test_other_is_resolved_with_a_written_decision_sent_to_the_la(loaded_debt, notify, ccg_agent):
    debt = loaded_debt()
    change = notify(debt, change="other", details="Customer has moved to Scotland")
    before = snapshot()
    with pytest.raises(ApplicationError) as refused:
        change_action(change=change, actor=ccg_agent, now=LATER)
    assert refused.value.extra["faults"] == {"decision": "Write your decision on this change, for the LA"}
    assert snapshot() == before
    change_action(change=change, decision="Address updated on Debt Manager; recovery continues.", actor=ccg_agent,
                  now=LATER)
    debt.refresh_from_db()
    assert debt.status == Debt.Status.IN_RECOVERY and entries(debt) == []
    letter = Notice.objects.get(case=debt.case, code="COCACT")
    assert letter.context["decision"] == "Address updated on Debt Manager; recovery continues."


def test_a_change_for_a_debt_that_closed_after_it_arrived_is_actioned_without_effect(loaded_debt, notify, ccg_agent):
    from liaison.recovery.ledger import debt_stop

    debt = loaded_debt()
    change = notify(debt, change="appealed")
    debt_stop(debt=debt, reason=Debt.StopReason.DIED, actor=ccg_agent, now=NOW)
    change_action(change=change, actor=ccg_agent, now=LATER)
    change.refresh_from_db()
    assert change.status == ChangeStatus.ACTIONED and change.effect.startswith("No change made")
    assert not Suspension.objects.filter(debt=debt).exists()
    assert Notice.objects.get(case=debt.case, code="COCACT").context["heading"] == \
        "Your change of circumstances needed no action"


# --- Refused: nothing recorded, nothing changed ------------------------------------------------------------------

def _refused(send, **kwargs) -> tuple[list[dict], int]:
    before = snapshot()
    with pytest.raises(ChangeRefused) as refused:
        send(**kwargs)
    assert snapshot() == before
    return refused.value.extra["faults"], refused.value.status


def test_an_unknown_reference_and_another_las_debt_are_refused_alike(loaded_debt, notify, la, other_la,
                                                                     other_la_officer, referral_data, award,
                                                                     change_data):
    from liaison.referrals.services import referrals_receive

    debt = loaded_debt()
    cardiff = referral_data(la_code=other_la.code, la_reference="CDF/OP/1")
    award(cardiff["nino"])
    referrals_receive(la=other_la, channel="API", rows=[(None, cardiff)], actor=other_la_officer)
    cardiff_debt = Debt.objects.get(la=other_la)

    unknown, status = _refused(lambda: notify(debt, la_reference="LDS/NO/SUCH"))
    assert status == 400
    assert unknown == [{"field": "la_reference", "label": "LA reference number",
                        "message": "No debt with LA reference LDS/NO/SUCH is being recovered for your authority: "
                                   "check the reference on the recovery start letter (HBREC)"}]
    # Leeds names Cardiff's debt: refused exactly as if it did not exist, saying nothing of Cardiff's customer.
    theirs, _ = _refused(lambda: change_notify(la=la, data=change_data(cardiff_debt), actor=None, channel="API",
                                               now=NOW))
    assert theirs == [{**unknown[0], "message": unknown[0]["message"].replace("LDS/NO/SUCH", "CDF/OP/1")}]


def test_a_nino_that_does_not_match_the_debt_or_is_not_a_nino_is_refused(loaded_debt, notify):
    debt = loaded_debt()
    faults, _ = _refused(lambda: notify(debt, nino="JH999999A"))
    assert faults == [{"field": "nino", "label": "National Insurance number",
                       "message": f"National Insurance number does not match the debt with LA reference "
                                  f"{debt.la_reference}"}]
    faults, _ = _refused(lambda: notify(debt, nino="QQ123456A"))
    assert [f["field"] for f in faults] == ["nino"]


def test_dates_in_the_future_or_before_the_debt_was_loaded_are_refused(loaded_debt, notify):
    debt = loaded_debt()
    faults, _ = _refused(lambda: notify(debt, la_told_on="2025-07-02"))
    assert faults[0]["message"] == "Date your overpayment team was told cannot be in the future"
    faults, _ = _refused(lambda: notify(debt, la_told_on="2025-05-30"))
    assert faults[0]["message"] == ("Date your overpayment team was told cannot be before the debt was loaded for "
                                    "recovery (2 June 2025)")
    faults, _ = _refused(lambda: notify(debt, la_told_on="31/02/2025"))
    assert faults[0]["message"].startswith("Date your overpayment team was told must be a real date")
    assert LOADED_AT.date() == dt.date(2025, 6, 2)


def test_a_change_for_a_closed_debt_is_refused(loaded_debt, notify, ccg_agent):
    from liaison.recovery.ledger import debt_stop

    debt = loaded_debt()
    debt_stop(debt=debt, reason=Debt.StopReason.DIED, actor=ccg_agent, now=NOW - dt.timedelta(days=1))
    faults, _ = _refused(lambda: notify(debt, change="now_on_hb"))
    assert faults == [{"field": "la_reference", "label": "LA reference number",
                       "message": f"Debt {debt.la_reference} is no longer being recovered (recovery stopped: "
                                  "returned to the LA on 30 June 2025): there is nothing left for DM to change"}]


def test_the_same_change_while_the_first_is_open_is_refused_as_a_conflict(loaded_debt, notify):
    debt = loaded_debt()
    notify(debt, change="appealed")
    faults, status = _refused(lambda: notify(debt, change="appealed", la_told_on="2025-06-30"))
    assert status == 409 and faults[0]["field"] == "change"
    notify(debt, change="other", details="Customer's new address: 3 Mill Lane")  # a different change is fine


def test_every_missing_field_is_reported_at_once(loaded_debt, la, la_officer):
    faults, _ = _refused(lambda: change_notify(la=la, data={"change": "other"}, actor=la_officer, channel="API",
                                               now=NOW))
    assert [f["field"] for f in faults] == ["customer_name", "nino", "la_reference", "la_told_on", "details",
                                            "officer_name"]
    faults, _ = _refused(lambda: change_notify(la=la, data={"change": ["list"], "nino": {"a": 1}}, actor=la_officer,
                                               channel="API", now=NOW))
    assert {"change", "nino"} <= {f["field"] for f in faults}


def test_only_a_ccg_agent_actions_a_change_and_only_once(loaded_debt, notify, la_officer, porth_officer, ccg_agent):
    debt = loaded_debt()
    change = notify(debt)
    before = snapshot()
    for who in (la_officer, porth_officer):
        with pytest.raises(ApplicationError) as refused:
            change_action(change=change, actor=who, now=LATER)
        assert refused.value.status == 403
    assert snapshot() == before
    change_action(change=change, actor=ccg_agent, now=LATER)
    before = snapshot()
    with pytest.raises(ApplicationError) as again:
        change_action(change=change, actor=ccg_agent, now=LATER)
    assert again.value.status == 409 and snapshot() == before


def test_appeal_outcomes_that_cannot_be_applied_are_refused(loaded_debt, notify, ccg_agent, la_officer,
                                                            other_la_officer):
    debt, change = _appealed(loaded_debt, notify, ccg_agent)
    before = snapshot()
    cases = [
        ({"outcome": "WON"}, 400), ({"outcome": "REDUCED"}, 400),
        ({"outcome": "REDUCED", "amount_pence": 8605}, 400),  # the whole balance: that is a cancellation
        ({"outcome": "UPHELD", "actor": other_la_officer}, 403),
    ]
    for kwargs, status in cases:
        kwargs.setdefault("actor", la_officer)
        with pytest.raises(ApplicationError) as refused:
            appeal_outcome_record(change=change, now=LATER, **kwargs)
        assert refused.value.status == status, kwargs
    assert snapshot() == before
    other = notify(debt, change="other", details="x")
    with pytest.raises(ApplicationError) as not_an_appeal:
        appeal_outcome_record(change=other, outcome="UPHELD", actor=la_officer, now=LATER)
    assert not_an_appeal.value.status == 409
