"""Engagement rounds: invitations with private links, responses, themes, and a summary that names nobody."""

import datetime as dt

import pytest

from liaison.core.errors import ApplicationError
from liaison.governance import selectors, services
from liaison.governance.models import EngagementRound, HistoryEntry, Participant
from liaison.notices.models import OutboxMessage

from .conftest import NOW, TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_(sg_official):
    return services.round_open(title="Charter", purpose="What should it say?", questions=["Promises?", "Format?", ""],
                               closes_on=TODAY + dt.timedelta(days=14), actor=sg_official, now=NOW)


def test_only_governments_and_dm_wide_roles_organise_rounds(la_manager, sg_official):
    with pytest.raises(ApplicationError) as refused:
        services.round_open(title="t", purpose="p", questions=["q"], closes_on=TODAY + dt.timedelta(days=1),
                            actor=la_manager, now=NOW)
    assert refused.value.status == 403
    with pytest.raises(ApplicationError) as bad:
        services.round_open(title="", purpose="", questions=[" "], closes_on=TODAY, actor=sg_official, now=NOW)
    assert set(bad.value.extra["faults"]) == {"title", "purpose", "questions", "closes_on"}
    assert EngagementRound.objects.count() == 0


def test_a_participant_answers_through_a_private_link(round_, sg_official):
    participant, token = services.participant_invite(round=round_, kind=Participant.Kind.LIVED_EXPERIENCE,
                                                     name="Alex Morgan", email="Alex@Example.invalid",
                                                     actor=sg_official, now=NOW)
    assert participant.pseudonym == "Participant 1" and token not in participant.token_digest
    invitation = OutboxMessage.objects.get(to="alex@example.invalid")
    assert f"/engagement/respond/{token}/" in invitation.body
    assert services.participant_for_token(token) == participant
    assert services.participant_for_token("guess") is None
    with pytest.raises(ApplicationError, match="already been invited"):
        services.participant_invite(round=round_, kind="LIVED_EXPERIENCE", name="Alex", email="alex@example.invalid",
                                    actor=sg_official, now=NOW)
    q1, q2 = round_.questions.all()
    with pytest.raises(ApplicationError, match="Answer at least one question"):
        services.response_submit(participant=participant, answers={q1.pk: " "}, now=NOW)
    assert services.response_submit(participant=participant, answers={q1.pk: "Dignity"}, now=NOW) == 1
    assert services.response_submit(participant=participant, answers={q1.pk: "Dignity and respect", q2.pk: "Plain"},
                                    now=NOW) == 2
    assert participant.responses.get(question=q1).answer == "Dignity and respect"
    # The history names the participant by number only.
    assert not HistoryEntry.objects.filter(summary__icontains="Alex").exists()


def test_responses_close_with_the_round(round_, sg_official):
    participant, _ = services.participant_invite(round=round_, kind="STAKEHOLDER", name="Jo Patel",
                                                 email="jo@advice.invalid", organisation_name="Advice Scotland",
                                                 actor=sg_official, now=NOW)
    q1 = round_.questions.first()
    late = NOW + dt.timedelta(days=15)
    with pytest.raises(ApplicationError, match="closed on 24 March 2025"):
        services.response_submit(participant=participant, answers={q1.pk: "x"}, now=late)


def test_the_summary_is_published_only_when_it_names_nobody(round_, sg_official):
    participant, _ = services.participant_invite(round=round_, kind="LIVED_EXPERIENCE", name="Sam Kowalski",
                                                 email="sam@example.invalid", actor=sg_official, now=NOW)
    q1 = round_.questions.first()
    services.response_submit(participant=participant, answers={q1.pk: "Respect"}, now=NOW)
    response = participant.responses.get()
    services.response_tag(response=response, themes=["Dignity", " dignity ", "Respect"], actor=sg_official, now=NOW)
    assert sorted(t.name for t in response.themes.all()) == ["Dignity", "Respect"]
    with pytest.raises(ApplicationError, match="Close the round"):
        services.round_publish(round=round_, summary="We heard about dignity.", actor=sg_official, now=NOW)
    services.round_close(round=round_, actor=sg_official, now=NOW)
    for named in ("Sam Kowalski said it all.", "Thanks to sam@example.invalid"):
        with pytest.raises(ApplicationError) as refused:
            services.round_publish(round=round_, summary=named, actor=sg_official, now=NOW)
        assert "Participant 1" in refused.value.extra["faults"]["summary"]
    services.round_publish(round=round_, summary="Participant 1 asked for dignity.", actor=sg_official, now=NOW)
    assert EngagementRound.objects.get(pk=round_.pk).status == EngagementRound.Status.PUBLISHED
    assert OutboxMessage.objects.filter(to="sam@example.invalid", subject__startswith="What we heard").exists()
    [row] = selectors.theme_summary(round_)[:1]
    assert row["count"] == 1 and row["kinds"] == [("Person with experience of social security", 1)]


def test_only_the_organiser_sees_the_round(round_, dwp_official, sla_liaison, sg_official):
    assert list(selectors.rounds_for(sg_official)) == [round_]
    for outsider in (dwp_official, sla_liaison):
        assert list(selectors.rounds_for(outsider)) == []
        with pytest.raises(ApplicationError) as refused:
            services.round_close(round=round_, actor=outsider, now=NOW)
        assert refused.value.status == 404
