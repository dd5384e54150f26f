"""The agreement: term, versions, variations agreed by both, notices of default (30 days) and termination (90)."""

import datetime as dt

import pytest

from liaison.core.errors import ApplicationError
from liaison.governance import selectors, services
from liaison.governance.history import history_of
from liaison.governance.models import Agreement, AgreementNotice, Variation

from .conftest import NOW, TODAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def agreement(org, la, sla_liaison):
    return services.agreement_create(reference="sla-e08000035", title="HB overpayments: Leeds", kind="SLA",
                                     party_a=org("DM-HQ"), party_b=la, starts_on=dt.date(2023, 4, 1),
                                     actor=sla_liaison, now=NOW)


def test_an_agreement_runs_three_years_with_talks_from_six_months_before_expiry(agreement):
    assert agreement.reference == "SLA-E08000035"
    assert agreement.expires_on == dt.date(2026, 3, 31)
    assert agreement.extension_talks_from == dt.date(2025, 9, 30)


def test_only_dm_wide_roles_and_governments_set_up_agreements_for_their_own_side(org, la, la_manager, sla_liaison):
    with pytest.raises(ApplicationError) as refused:
        services.agreement_create(reference="X-1", title="t", kind="SLA", party_a=la, party_b=org("DM-HQ"),
                                  starts_on=TODAY, actor=la_manager, now=NOW)
    assert refused.value.status == 403
    with pytest.raises(ApplicationError) as wrong_side:
        services.agreement_create(reference="X-1", title="t", kind="SLA", party_a=la, party_b=org("DM-HQ"),
                                  starts_on=None, actor=sla_liaison, now=NOW)
    assert set(wrong_side.value.extra["faults"]) == {"party_a", "starts_on"}
    assert Agreement.objects.count() == 0


def test_a_variation_is_agreed_by_both_then_incorporated_in_the_next_version(agreement, sla_liaison, la_manager):
    services.agreement_version_issue(agreement=agreement, number="1.0", issued_on=dt.date(2023, 4, 1),
                                     reason="Sign off", actor=sla_liaison, now=NOW)
    variation = services.variation_request(agreement=agreement, title="New Porth number",
                                           description="Appendix 3: 01443 688604", actor=la_manager, now=NOW)
    assert variation.status == Variation.Status.REQUESTED and variation.agreed_b_at and not variation.agreed_a_at
    with pytest.raises(ApplicationError) as twice:
        services.variation_agree(variation=variation, actor=la_manager, now=NOW)
    assert "has already agreed" in twice.value.message
    variation = services.variation_agree(variation=variation, actor=sla_liaison, now=NOW)
    assert variation.status == Variation.Status.AGREED and variation.appendix == "Appendix V1"
    version = services.agreement_version_issue(agreement=agreement, number="2.0", issued_on=TODAY,
                                               reason="Contact details changed", actor=sla_liaison, now=NOW)
    variation.refresh_from_db()
    assert variation.status == Variation.Status.INCORPORATED and variation.incorporated_in == version
    assert [v.number for v in agreement.versions.all()] == ["1.0", "2.0"]
    assert "Incorporates Appendix V1 (New Porth number)" in history_of(agreement).first().summary


def test_a_version_number_is_issued_once_and_not_in_the_future(agreement, sla_liaison):
    services.agreement_version_issue(agreement=agreement, number="1.0", issued_on=TODAY, reason="Sign off",
                                     actor=sla_liaison, now=NOW)
    with pytest.raises(ApplicationError) as refused:
        services.agreement_version_issue(agreement=agreement, number="1.0", issued_on=TODAY + dt.timedelta(days=1),
                                         reason="", actor=sla_liaison, now=NOW)
    assert set(refused.value.extra["faults"]) == {"number", "issued_on", "reason"}
    assert agreement.versions.count() == 1


def test_the_requester_withdraws_and_the_other_party_declines(agreement, sla_liaison, la_manager):
    first = services.variation_request(agreement=agreement, title="A", description="a", actor=la_manager, now=NOW)
    with pytest.raises(ApplicationError, match="cannot decline its own request"):
        services.variation_decline(variation=first, reason="no", actor=la_manager, now=NOW)
    with pytest.raises(ApplicationError, match="who requested it, can withdraw it"):
        services.variation_withdraw(variation=first, reason="no", actor=sla_liaison, now=NOW)
    services.variation_decline(variation=first, reason="Not needed", actor=sla_liaison, now=NOW)
    with pytest.raises(ApplicationError, match="This variation is declined"):
        services.variation_agree(variation=first, actor=sla_liaison, now=NOW)


def test_a_notice_of_default_gives_30_days_to_remedy(agreement, sla_liaison, la_manager):
    notice = services.notice_serve(agreement=agreement, kind="DEFAULT", served_on=dt.date(2025, 1, 31),
                                   details="Referrals without CIS checks", actor=sla_liaison, now=NOW)
    assert notice.deadline == dt.date(2025, 3, 2) and notice.served_by_side == "A"
    assert "to be remedied by 2 March 2025" in history_of(agreement).first().summary
    with pytest.raises(ApplicationError, match="who served the notice"):
        services.notice_remedied(notice=notice, note="Fixed", actor=la_manager, now=NOW)
    services.notice_remedied(notice=notice, note="Checks now done", actor=sla_liaison, now=NOW)
    assert AgreementNotice.objects.get(pk=notice.pk).status == AgreementNotice.Status.REMEDIED


def test_termination_for_default_waits_for_the_remedy_period_to_end(agreement, sla_liaison):
    default = services.notice_serve(agreement=agreement, kind="DEFAULT", served_on=dt.date(2025, 2, 10),
                                    details="Payments late", actor=sla_liaison, now=NOW)
    assert default.deadline == dt.date(2025, 3, 12)
    with pytest.raises(ApplicationError) as early:
        services.notice_serve(agreement=agreement, kind="TERMINATION", grounds="DEFAULT", served_on=TODAY,
                              details="Still late", actor=sla_liaison, now=NOW)
    assert "has until 12 March 2025 to remedy" in early.value.extra["faults"]["grounds"]
    assert "from 13 March 2025" in early.value.extra["faults"]["grounds"]
    later = at(2025, 3, 13)
    notice = services.notice_serve(agreement=agreement, kind="TERMINATION", grounds="DEFAULT",
                                   served_on=dt.date(2025, 3, 13), details="Still late", actor=sla_liaison, now=later)
    assert notice.deadline == dt.date(2025, 6, 11) and notice.default_notice == default


def test_termination_for_any_reason_takes_effect_after_90_days_and_ends_the_agreement(agreement, la_manager):
    with pytest.raises(ApplicationError) as no_default:
        services.notice_serve(agreement=agreement, kind="TERMINATION", grounds="DEFAULT", served_on=TODAY,
                              details="x", actor=la_manager, now=NOW)
    assert "first serve a notice of default" in no_default.value.extra["faults"]["grounds"]
    notice = services.notice_serve(agreement=agreement, kind="TERMINATION", grounds="OTHER", served_on=TODAY,
                                   details="Moving to a new arrangement", actor=la_manager, now=NOW)
    assert notice.deadline == dt.date(2025, 6, 8)
    with pytest.raises(ApplicationError, match="already takes effect on 8 June 2025"):
        services.notice_serve(agreement=agreement, kind="TERMINATION", grounds="OTHER", served_on=TODAY,
                              details="again", actor=la_manager, now=NOW)
    assert services.agreements_apply_terminations(now=at(2025, 6, 7)) == []
    [ended] = services.agreements_apply_terminations(now=at(2025, 6, 8))
    assert ended.status == Agreement.Status.ENDED and ended.ended_on == dt.date(2025, 6, 8)
    assert services.agreements_apply_terminations(now=at(2025, 6, 9)) == []  # idempotent
    with pytest.raises(ApplicationError, match="This agreement has ended"):
        services.variation_request(agreement=ended, title="t", description="d", actor=la_manager, now=at(2025, 6, 9))


def test_a_notice_cannot_be_served_in_the_future(agreement, sla_liaison):
    with pytest.raises(ApplicationError) as refused:
        services.notice_serve(agreement=agreement, kind="DEFAULT", served_on=TODAY + dt.timedelta(days=1),
                              details="", actor=sla_liaison, now=NOW)
    assert set(refused.value.extra["faults"]) == {"served_on", "details"}
    assert AgreementNotice.objects.count() == 0


def test_extension_talks_and_the_extension_are_recorded(agreement, la_manager):
    services.agreement_extension_talks_start(agreement=agreement, actor=la_manager, now=at(2025, 10, 1))
    with pytest.raises(ApplicationError, match="recorded as started on 1 October 2025"):
        services.agreement_extension_talks_start(agreement=agreement, actor=la_manager, now=at(2025, 10, 2))
    with pytest.raises(ApplicationError) as short:
        services.agreement_extend(agreement=agreement, new_expires_on=dt.date(2026, 3, 31), note="x",
                                  actor=la_manager, now=NOW)
    assert "after 31 March 2026" in short.value.extra["faults"]["new_expires_on"]
    extended = services.agreement_extend(agreement=agreement, new_expires_on=dt.date(2029, 3, 31),
                                         note="Agreed at the liaison meeting", actor=la_manager, now=NOW)
    assert extended.extension_talks_from == dt.date(2028, 9, 30) and extended.extension_talks_started_on is None


def test_only_the_parties_see_and_change_an_agreement(agreement, other_la_manager, la_manager, sg_official, ccg_agent):
    assert list(selectors.agreements_for(la_manager)) == [agreement]
    for outsider in (other_la_manager, sg_official, ccg_agent):
        assert list(selectors.agreements_for(outsider)) == []
        with pytest.raises(ApplicationError) as refused:
            services.variation_request(agreement=agreement, title="t", description="d", actor=outsider, now=NOW)
        assert refused.value.status == 404
    assert Variation.objects.count() == 0
