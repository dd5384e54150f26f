"""Engagement rounds: questions, invitations, responses (by private link, no account), themes, the summary."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from liaison.governance import selectors, services
from liaison.governance.forms import Form
from liaison.governance.models import EngagementRound, Participant
from liaison.governance.views.common import attempt, governance_required, history, page


@governance_required
def round_list(request):
    return page(request, "governance/round_list.html", {
        "rounds": selectors.rounds_for(request.user), "can_organise": services.can_organise_engagement(request.user)})


@governance_required
@require_http_methods(["GET", "POST"])
def round_new(request):
    if not services.can_organise_engagement(request.user):
        raise PermissionDenied("Only the governments and DM's SLA liaison officers organise engagement rounds.")
    form = Form(request.POST if request.method == "POST" else {}, dates={"closes_on": "The closing date"})
    if request.method == "POST":
        rnd = attempt(form, lambda: services.round_open(
            title=form.get("title"), purpose=form.get("purpose"), questions=form.get("questions").splitlines(),
            closes_on=form.dates["closes_on"], actor=request.user))
        if rnd is not None:
            messages.success(request, "Round opened. Invite the participants next.")
            return redirect("governance:round_detail", pk=rnd.pk)
    return page(request, "governance/round_form.html", {}, form)


def _round_context(request, rnd: EngagementRound):
    questions = list(rnd.questions.prefetch_related("responses__participant", "responses__themes"))
    return {"round": rnd, "questions": questions, "participants": rnd.participants.all(),
            "kinds": Participant.Kind.choices, "themes": selectors.theme_summary(rnd), "history": history(rnd),
            "responded": rnd.participants.filter(responded_at__isnull=False).count()}


@governance_required
def round_detail(request, pk):
    rnd = selectors.round_for(request.user, pk)
    return page(request, "governance/round_detail.html", _round_context(request, rnd), Form({}))


@governance_required
@require_POST
def round_act(request, pk):
    rnd = selectors.round_for(request.user, pk)
    act = request.POST.get("act", "")
    form = Form(request.POST)
    calls = {
        "invite": lambda: services.participant_invite(
            round=rnd, kind=form.get("kind"), name=form.get("name"), email=form.get("email"),
            organisation_name=form.get("organisation_name"), actor=request.user),
        "close": lambda: services.round_close(round=rnd, actor=request.user),
        "publish": lambda: services.round_publish(round=rnd, summary=form.get("summary"), actor=request.user),
    }
    if act not in calls:
        raise Http404("No such action")
    result = attempt(form, calls[act])
    if result is None:
        ctx = _round_context(request, rnd)
        ctx["which"] = act
        return page(request, "governance/round_detail.html", ctx, form)
    if act == "invite":
        participant, _token = result
        messages.success(request, f"{participant.pseudonym} invited: they have been e-mailed their private link.")
    elif act == "close":
        messages.success(request, "Round closed to responses.")
    else:
        messages.success(request, "Summary published and sent to the participants.")
    return redirect("governance:round_detail", pk=rnd.pk)


@governance_required
@require_POST
def response_tag(request, pk):
    response = selectors.response_for(request.user, pk)
    form = Form(request.POST)
    themes = [t for t in form.get("themes").split(",")]
    if attempt(form, lambda: services.response_tag(response=response, themes=themes, actor=request.user)) is None:
        messages.error(request, next(iter(form.errors.values())))
    else:
        messages.success(request, f"Themes saved for {response.participant.pseudonym}'s answer.")
    return redirect("governance:round_detail", pk=response.participant.round_id)


@governance_required
def round_summary(request, pk):
    rnd = selectors.round_for(request.user, pk)
    return page(request, "governance/round_summary.html", {"round": rnd, "themes": selectors.theme_summary(rnd)})


@require_http_methods(["GET", "POST"])
def respond(request, token):
    """A participant's private page: no account needed, the link is the key (only its hash is stored)."""
    participant = services.participant_for_token(token)
    if participant is None:
        raise Http404("This link is not valid")
    rnd = participant.round
    questions = list(rnd.questions.all())
    for q in questions:
        q.field = f"answer-{q.pk}"
    existing = {r.question_id: r.answer for r in participant.responses.all()}
    form = Form(request.POST if request.method == "POST" else
                {f"answer-{qid}": text for qid, text in existing.items()})
    saved = False
    if request.method == "POST" and rnd.status == EngagementRound.Status.OPEN:
        answers = {q.pk: form.get(f"answer-{q.pk}") for q in questions}
        saved = attempt(form, lambda: services.response_submit(participant=participant, answers=answers)) is not None
    context = {"round": rnd, "participant": participant, "questions": questions, "saved": saved,
               "themes": selectors.theme_summary(rnd) if rnd.status == EngagementRound.Status.PUBLISHED else [],
               **form.context()}
    return render(request, "governance/respond.html", context)
