"""The directory of nominated officers and SPoCs, and "who do I contact about X at Y, today?"."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from liaison.governance import selectors, services
from liaison.governance.access import acting_org_ids, acts_for
from liaison.governance.directory import acting_contact
from liaison.governance.forms import Form, date_parts
from liaison.governance.models import Absence, Contact, Duty
from liaison.governance.views.common import attempt, governance_required, history, page, today
from liaison.partners.models import Organisation, User


@governance_required
def directory(request):
    user = request.user
    orgs = selectors.directory_organisations(user)
    on_default = today()
    form = Form(request.GET if "duty" in request.GET else None, dates={"on": "The date"})
    answer = None
    if "duty" in request.GET:
        org = orgs.filter(code=request.GET.get("organisation", "")).first()
        duty = request.GET.get("duty", "")
        if org is None:
            form.errors.setdefault("organisation", "Select the organisation")
        if duty not in Duty.values:
            form.errors.setdefault("duty", "Select what you need to contact them about")
        if not form.errors:
            answer = acting_contact(organisation=org, duty=duty, on=form.dates.get("on") or on_default)
    else:
        form.data = {"organisation": "", **date_parts(on_default, "on")}
    mine = acting_org_ids(user)
    listed = (orgs.filter(Q(pk__in=mine) | Q(governance_contacts__active=True)).distinct()
              .annotate(n=Count("governance_contacts", filter=Q(governance_contacts__active=True)))
              .order_by("kind", "name"))
    due_by_org = {}
    for c in Contact.objects.filter(organisation__in=listed, active=True).only("organisation_id", "last_checked_on"):
        if c.review_overdue(on_default):
            due_by_org[c.organisation_id] = due_by_org.get(c.organisation_id, 0) + 1
    rows = [{"org": o, "count": o.n, "reviews_due": due_by_org.get(o.pk, 0), "mine": o.pk in mine} for o in listed]
    return page(request, "governance/directory.html", {
        "rows": rows, "organisation_options": list(orgs.order_by("kind", "name").values_list("code", "name")), "duties": Duty.choices, "answer": answer,
        "asked_on": form.dates.get("on") or on_default}, form)


@governance_required
def contacts_org(request, code):
    org = selectors.directory_organisation(request.user, code)
    day = today()
    contacts = list(Contact.objects.filter(organisation=org, active=True).select_related("last_checked_by", "user")
                    .order_by("duty", "position", "rank"))
    order = {d: i for i, d in enumerate(Duty.values)}
    contacts.sort(key=lambda c: (order[c.duty], c.position != Contact.Position.LEAD, c.rank))
    absences = list(Absence.objects.filter(contact__in=contacts, cancelled_at__isnull=True, ends_on__gte=day)
                    .select_related("contact").order_by("starts_on"))
    away_now = {a.contact_id for a in absences if a.covers(day)}
    for c in contacts:
        c.overdue = c.review_overdue(day)
        c.away = c.pk in away_now
    acting = [acting_contact(organisation=org, duty=d, on=day) for d in Duty.values]
    retired = Contact.objects.filter(organisation=org, active=False).order_by("duty", "name")
    return page(request, "governance/contacts_org.html", {
        "org": org, "contacts": contacts, "absences": absences, "acting": acting, "retired": retired,
        "can_edit": acts_for(request.user, org.pk)})


def _editable_org(request, code) -> Organisation:
    org = selectors.directory_organisation(request.user, code)
    if not acts_for(request.user, org.pk):
        raise PermissionDenied(f"Only people at {org} can change its contacts.")
    return org


def _org_users(org):
    return User.objects.filter(organisation=org, is_active=True).order_by("first_name", "last_name", "username")


def _user_choice(org, value):
    if not value:
        return None
    return _org_users(org).filter(pk=value).first() if str(value).isdigit() else None


@governance_required
@require_http_methods(["GET", "POST"])
def contact_new(request, code):
    org = _editable_org(request, code)
    form = Form(request.POST if request.method == "POST" else {"duty": request.GET.get("duty", ""),
                                                                "position": Contact.Position.LEAD})
    if request.method == "POST":
        contact = attempt(form, lambda: services.contact_create(
            organisation=org, duty=form.get("duty"), position=form.get("position"), name=form.get("name"),
            job_title=form.get("job_title"), email=form.get("email"), phone=form.get("phone"),
            user=_user_choice(org, form.get("user")), actor=request.user))
        if contact is not None:
            messages.success(request, f"{contact.name} added as {contact.get_position_display().lower()} for "
                                      f"{contact.duty_phrase}.")
            return redirect("governance:contacts_org", code=org.code)
    return page(request, "governance/contact_form.html", {
        "org": org, "contact": None, "duties": Duty.choices, "positions": Contact.Position.choices,
        "users": _org_users(org)}, form)


@governance_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, pk):
    contact = selectors.contact_for(request.user, pk)
    org = _editable_org(request, contact.organisation.code)
    initial = {"name": contact.name, "job_title": contact.job_title, "email": contact.email, "phone": contact.phone,
               "user": str(contact.user_id or "")}
    form = Form(request.POST if request.method == "POST" else initial)
    if request.method == "POST":
        updated = attempt(form, lambda: services.contact_update(
            contact=contact, name=form.get("name"), job_title=form.get("job_title"), email=form.get("email"),
            phone=form.get("phone"), user=_user_choice(org, form.get("user")), actor=request.user))
        if updated is not None:
            messages.success(request, f"{updated.name}'s details saved and confirmed current.")
            return redirect("governance:contacts_org", code=org.code)
    return page(request, "governance/contact_form.html", {
        "org": org, "contact": contact, "users": _org_users(org), "history": history(contact)}, form)


@governance_required
@require_POST
def contact_check(request, pk):
    contact = selectors.contact_for(request.user, pk)
    _editable_org(request, contact.organisation.code)
    form = Form(request.POST)
    if attempt(form, lambda: services.contact_confirm(contact=contact, actor=request.user)) is not None:
        messages.success(request, f"{contact.name}'s details confirmed current today.")
    else:
        messages.error(request, next(iter(form.errors.values())))
    return redirect("governance:contacts_org", code=contact.organisation.code)


@governance_required
@require_http_methods(["GET", "POST"])
def contact_retire(request, pk):
    contact = selectors.contact_for(request.user, pk)
    org = _editable_org(request, contact.organisation.code)
    form = Form(request.POST if request.method == "POST" else {})
    if request.method == "POST" and attempt(form, lambda: services.contact_retire(
            contact=contact, reason=form.get("reason"), actor=request.user)) is not None:
        messages.success(request, f"{contact.name} retired. The entry stays on the record.")
        return redirect("governance:contacts_org", code=org.code)
    return page(request, "governance/contact_retire.html", {"org": org, "contact": contact}, form)


@governance_required
@require_http_methods(["GET", "POST"])
def absence_new(request, pk):
    contact = selectors.contact_for(request.user, pk)
    org = _editable_org(request, contact.organisation.code)
    dates = {"starts_on": "The first day of the absence", "ends_on": "The last day of the absence"}
    form = Form(request.POST if request.method == "POST" else {}, dates=dates)
    if request.method == "POST":
        absence = attempt(form, lambda: services.absence_record(
            contact=contact, starts_on=form.dates["starts_on"], ends_on=form.dates["ends_on"],
            delegate_name=form.get("delegate_name"), delegate_email=form.get("delegate_email"),
            delegate_phone=form.get("delegate_phone"), note=form.get("note"), actor=request.user))
        if absence is not None:
            messages.success(request, f"Absence recorded: {contact.name} is away from "
                                      f"{absence.starts_on.day} {absence.starts_on:%B %Y} to {absence.ends_on.day} {absence.ends_on:%B %Y}.")
            return redirect("governance:contacts_org", code=org.code)
    alternates = Contact.objects.filter(organisation=org, duty=contact.duty, active=True,
                                        position=Contact.Position.ALTERNATE).exclude(pk=contact.pk)
    return page(request, "governance/absence_form.html", {"org": org, "contact": contact,
                                                          "alternates": alternates}, form)


@governance_required
@require_POST
def absence_cancel(request, pk):
    absence = selectors.absence_for(request.user, pk)
    _editable_org(request, absence.contact.organisation.code)
    form = Form(request.POST)
    if attempt(form, lambda: services.absence_cancel(absence=absence, actor=request.user)) is not None:
        messages.success(request, f"Absence of {absence.contact.name} cancelled.")
    else:
        messages.error(request, next(iter(form.errors.values())))
    return redirect("governance:contacts_org", code=absence.contact.organisation.code)
