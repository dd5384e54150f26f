"""The agreement: versions and document history, variations, the term and formal notices."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from liaison.governance import dates, selectors, services
from liaison.governance.access import acting_org_ids
from liaison.governance.forms import Form
from liaison.governance.models import Agreement, AgreementNotice, Variation, other_side
from liaison.governance.views.common import attempt, governance_required, history, page, today
from liaison.partners.models import Organisation


@governance_required
def agreement_list(request):
    agreements = list(selectors.agreements_for(request.user).select_related("party_a", "party_b")
                      .order_by("status", "expires_on"))
    day = today()
    for a in agreements:
        a.talks_due = a.status == Agreement.Status.ACTIVE and a.extension_talks_from <= day <= a.expires_on \
            and not a.extension_talks_started_on
        a.pending = a.notices.filter(status=AgreementNotice.Status.SERVED).order_by("deadline").first()
    return page(request, "governance/agreement_list.html", {
        "agreements": agreements, "can_create": services.can_create_agreements(request.user)})


@governance_required
@require_http_methods(["GET", "POST"])
def agreement_new(request):
    if not services.can_create_agreements(request.user):
        raise PermissionDenied("Only DWP Debt Management's SLA liaison officers and the governments set up agreements.")
    mine = Organisation.objects.filter(pk__in=acting_org_ids(request.user)).order_by("name")
    others = Organisation.objects.exclude(pk__in=acting_org_ids(request.user)).order_by("kind", "name")
    form = Form(request.POST if request.method == "POST" else {"kind": Agreement.Kind.SLA, "term_years": "3"},
                dates={"starts_on": "The date the agreement starts"})
    if request.method == "POST":
        term = form.get("term_years")
        agreement = attempt(form, lambda: services.agreement_create(
            reference=form.get("reference"), title=form.get("title"), kind=form.get("kind"),
            party_a=mine.filter(code=form.get("party_a")).first(),
            party_b=others.filter(code=form.get("party_b")).first(), starts_on=form.dates["starts_on"],
            term_years=int(term) if term.isdigit() else 0, actor=request.user))
        if agreement is not None:
            messages.success(request, f"Agreement {agreement.reference} set up: it runs to "
                                      f"{agreement.expires_on.day} {agreement.expires_on:%B %Y}.")
            return redirect("governance:agreement_detail", pk=agreement.pk)
    return page(request, "governance/agreement_form.html", {
        "mine_options": list(mine.values_list("code", "name")),
        "other_options": list(others.values_list("code", "name")), "kinds": Agreement.Kind.choices}, form)


@governance_required
def agreement_detail(request, pk):
    agreement = selectors.agreement_for(request.user, pk)
    side = services.agreement_side(request.user, agreement)
    day = today()
    variations = list(agreement.variations.select_related("requested_by", "agreed_a_by", "agreed_b_by",
                                                          "incorporated_in").order_by("requested_at", "id"))
    for v in variations:
        v.can_agree = v.status == Variation.Status.REQUESTED and not v.agreed_by_side(side)
        v.can_withdraw = v.status == Variation.Status.REQUESTED and v.requested_by_side == side
        v.requester = agreement.party(v.requested_by_side)
        v.waiting_for = agreement.party(other_side(v.requested_by_side))
        v.decline_id, v.withdraw_id = f"decline-reason-{v.pk}", f"withdraw-reason-{v.pk}"
    notices = list(agreement.notices.select_related("served_by", "closed_by").order_by("served_on", "id"))
    for n in notices:
        n.server = agreement.party(n.served_by_side)
        n.recipient = agreement.party(other_side(n.served_by_side))
        n.mine = n.served_by_side == side
        n.days_left = (n.deadline - day).days
        n.note_id = f"note-{n.pk}"
    talks_from = agreement.extension_talks_from
    return page(request, "governance/agreement_detail.html", {
        "agreement": agreement, "side": side, "versions": agreement.versions.select_related("issued_by"),
        "variations": variations, "notices": notices, "history": history(agreement), "talks_from": talks_from,
        "talks_due": agreement.status == Agreement.Status.ACTIVE and talks_from <= day <= agreement.expires_on,
        "days_to_expiry": (agreement.expires_on - day).days,
        "agreed_waiting": [v for v in variations if v.status == Variation.Status.AGREED],
        "active": agreement.status == Agreement.Status.ACTIVE})


@governance_required
@require_http_methods(["GET", "POST"])
def version_new(request, pk):
    agreement = selectors.agreement_for(request.user, pk)
    last = agreement.versions.order_by("-sequence").first()
    suggestion = f"{int(float(last.number)) + 1}.0" if last and last.number.replace(".", "").isdigit() else "1.0"
    form = Form(request.POST if request.method == "POST" else {"number": suggestion},
                dates={"issued_on": "The date issued"})
    if request.method == "POST":
        version = attempt(form, lambda: services.agreement_version_issue(
            agreement=agreement, number=form.get("number"), issued_on=form.dates["issued_on"],
            reason=form.get("reason"), document=request.FILES.get("document"), actor=request.user),
            dry_run=False)  # a dry run would write the document to disk
        if version is not None:
            incorporated = version.variations.count()
            messages.success(request, f"Version {version.number} issued" + (
                f", incorporating {incorporated} agreed variation{'s' if incorporated != 1 else ''}."
                if incorporated else "."))
            return redirect("governance:agreement_detail", pk=agreement.pk)
    return page(request, "governance/version_form.html", {
        "agreement": agreement,
        "agreed": agreement.variations.filter(status=Variation.Status.AGREED).order_by("appendix")}, form)


@governance_required
def version_document(request, pk, version_pk):
    agreement = selectors.agreement_for(request.user, pk)
    version = agreement.versions.filter(pk=version_pk).first()
    if version is None or not version.document:
        raise Http404("No such document")
    return FileResponse(version.document.open("rb"), as_attachment=True,
                        filename=version.document_name or version.document.name.rsplit("/", 1)[-1])


@governance_required
@require_http_methods(["GET", "POST"])
def variation_new(request, pk):
    agreement = selectors.agreement_for(request.user, pk)
    form = Form(request.POST if request.method == "POST" else {})
    if request.method == "POST":
        variation = attempt(form, lambda: services.variation_request(
            agreement=agreement, title=form.get("title"), description=form.get("description"),
            reason=form.get("reason"), actor=request.user))
        if variation is not None:
            messages.success(request, f"Variation requested. {agreement.party(other_side(variation.requested_by_side))}"
                                      f" has been asked to agree it.")
            return redirect("governance:agreement_detail", pk=agreement.pk)
    return page(request, "governance/variation_form.html", {"agreement": agreement}, form)


@governance_required
@require_POST
def variation_act(request, pk):
    variation = selectors.variation_for(request.user, pk)
    form = Form(request.POST)
    act = request.POST.get("act", "")
    calls = {"agree": lambda: services.variation_agree(variation=variation, actor=request.user),
             "decline": lambda: services.variation_decline(variation=variation, reason=form.get("reason"),
                                                          actor=request.user),
             "withdraw": lambda: services.variation_withdraw(variation=variation, reason=form.get("reason"),
                                                            actor=request.user)}
    if act not in calls:
        raise Http404("No such action")
    result = attempt(form, calls[act])
    if result is None:
        messages.error(request, next(iter(form.errors.values())))
    elif result.status == Variation.Status.AGREED:
        messages.success(request, f"Variation agreed by both parties: documented as {result.appendix}.")
    else:
        messages.success(request, f"Variation {result.get_status_display().lower()}.")
    return redirect("governance:agreement_detail", pk=variation.agreement_id)


@governance_required
@require_http_methods(["GET", "POST"])
def notice_new(request, pk):
    agreement = selectors.agreement_for(request.user, pk)
    side = services.agreement_side(request.user, agreement)
    initial = {"kind": request.GET.get("kind", "")}
    form = Form(request.POST if request.method == "POST" else initial, dates={"served_on": "The date served"})
    if request.method == "POST":
        notice = attempt(form, lambda: services.notice_serve(
            agreement=agreement, kind=form.get("kind"), served_on=form.dates["served_on"],
            details=form.get("details"), grounds=form.get("grounds"), actor=request.user))
        if notice is not None:
            if notice.kind == AgreementNotice.Kind.DEFAULT:
                text = f"Notice of default served: it must be remedied by {notice.deadline.day} {notice.deadline:%B %Y}."
            else:
                text = f"Notice of termination served: the agreement ends on {notice.deadline.day} {notice.deadline:%B %Y}."
            messages.success(request, text)
            return redirect("governance:agreement_detail", pk=agreement.pk)
    served = form.dates.get("served_on") or today()
    return page(request, "governance/notice_form.html", {
        "agreement": agreement, "other": agreement.party(other_side(side)),
        "kinds": AgreementNotice.Kind.choices, "grounds": AgreementNotice.Grounds.choices,
        "remedy_example": dates.remedy_deadline(served), "effective_example": dates.termination_effective(served),
        "example_served": served}, form)


@governance_required
@require_POST
def notice_act(request, pk):
    notice = selectors.agreement_notice_for(request.user, pk)
    form = Form(request.POST)
    act = request.POST.get("act", "")
    if act == "remedied":
        result = attempt(form, lambda: services.notice_remedied(notice=notice, note=form.get("note"),
                                                               actor=request.user))
    elif act == "withdraw":
        result = attempt(form, lambda: services.notice_withdraw(notice=notice, note=form.get("note"),
                                                               actor=request.user))
    else:
        raise Http404("No such action")
    if result is None:
        messages.error(request, next(iter(form.errors.values())))
    else:
        messages.success(request, f"{result.get_kind_display()} {result.reference}: "
                                  f"{result.get_status_display().lower()}.")
    return redirect("governance:agreement_detail", pk=notice.agreement_id)


@governance_required
@require_POST
def agreement_talks(request, pk):
    agreement = selectors.agreement_for(request.user, pk)
    form = Form(request.POST)
    if attempt(form, lambda: services.agreement_extension_talks_start(agreement=agreement,
                                                                      actor=request.user)) is None:
        messages.error(request, next(iter(form.errors.values())))
    else:
        messages.success(request, "Extension talks recorded as started today.")
    return redirect("governance:agreement_detail", pk=agreement.pk)


@governance_required
@require_http_methods(["GET", "POST"])
def agreement_extend(request, pk):
    agreement = selectors.agreement_for(request.user, pk)
    suggested = dates.term_end(agreement.expires_on + dt.timedelta(days=1), agreement.term_years)
    form = Form(request.POST if request.method == "POST" else {
        "new_expires_on-day": str(suggested.day), "new_expires_on-month": str(suggested.month),
        "new_expires_on-year": str(suggested.year)}, dates={"new_expires_on": "The new last day"})
    if request.method == "POST":
        result = attempt(form, lambda: services.agreement_extend(
            agreement=agreement, new_expires_on=form.dates["new_expires_on"], note=form.get("note"),
            actor=request.user))
        if result is not None:
            messages.success(request, f"Agreement extended to {result.expires_on.day} {result.expires_on:%B %Y}.")
            return redirect("governance:agreement_detail", pk=agreement.pk)
    return page(request, "governance/agreement_extend.html", {"agreement": agreement}, form)
