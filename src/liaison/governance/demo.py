"""A small partnership-working demo, written through the same services people use, dated relative to `now`.

Contacts with an absence and an alternate, issues log entries at different levels, an agreement with versions and
variations (and a notice of default on the SG/DWP memorandum), governance groups with meetings, minutes, actions
and a milestone with an exception report, and an engagement round with its published summary.

Re-runnable: it does nothing if the demo's Joint Senior Officials Group already exists.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from liaison.governance import dates, services
from liaison.governance.models import Contact, Duty, Group, Issue, Milestone, Participant, Side
from liaison.governance.reference import issue_categories_load
from liaison.partners.models import Organisation, User

GOV_PEOPLE = [
    ("sg.official", "SG", "Fiona Reid", "fiona.reid@gov.scot.invalid"),
    ("dwp.policy", "DWP-POLICY", "Andrew Lyle", "andrew.lyle@dwp.invalid"),
]


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def governance_demo(now: dt.datetime | None = None) -> dict:
    from liaison.web.demo import DEMO_PASSWORD

    now = now or timezone.now()
    if Group.objects.filter(code="jsog").exists():
        return {"created": False}
    if not User.objects.filter(username="sla.liaison").exists():
        return {"created": False, "reason": "load the main demo first"}
    today = timezone.localdate(now)
    with transaction.atomic():
        issue_categories_load()
        org = {o.code: o for o in Organisation.objects.filter(code__in=[
            "DM-PORTH", "DM-HQ", "DM-FCG", "DM-CCG-BRADFORD", "SG", "DWP-POLICY", "E08000035", "W06000015",
            "S12000049"])}
        users = {u.username: u for u in User.objects.filter(username__in=[
            "la.officer.leeds", "la.manager.leeds", "la.officer.cardiff", "la.officer.glasgow", "porth.officer",
            "ccg.agent", "sla.liaison", "admin"])}
        for username, code, name, email in GOV_PEOPLE:
            first, _, last = name.partition(" ")
            users[username] = User.objects.filter(username=username).first() or User.objects.create_user(
                username=username, password=DEMO_PASSWORD, first_name=first, last_name=last, email=email, role="",
                organisation=org[code])
        _contacts(org, users, now, today)
        issues = _issues(org, users, now, today)
        agreements = _agreements(org, users, now, today)
        groups = _groups(org, users, now, today)
        rnd = _engagement(users, now, today)
    return {"created": True, "issues": len(issues), "agreements": len(agreements), "groups": len(groups),
            "round": rnd.title}


def _contacts(org, users, now, today):
    long_ago = now - dt.timedelta(days=430)  # not checked for over a year: flagged for review
    add = services.contact_create
    sla = users["sla.liaison"]
    add(organisation=org["DM-PORTH"], duty=Duty.REFERRAL_MANAGER, name="Mark Harman",
        job_title="DM HB Referral Manager", email="mark.harman@dwp.invalid", phone="01443 688624",
        user=users["sla.liaison"], actor=sla, now=now)
    emma = add(organisation=org["DM-PORTH"], duty=Duty.SLA_LIAISON, name="Emma Owens", job_title="SLA Liaison Officer",
               email="emma.owens@dwp.invalid", phone="01443 688604", user=users["porth.officer"], actor=sla, now=now)
    add(organisation=org["DM-PORTH"], duty=Duty.SLA_LIAISON, position=Contact.Position.ALTERNATE,
        name="Gareth Price", job_title="Team Leader, CC Porth", email="gareth.price@dwp.invalid",
        phone="01443 688600", actor=sla, now=now)
    services.absence_record(contact=emma, starts_on=today - dt.timedelta(days=2), ends_on=today + dt.timedelta(days=9),
                            note="Annual leave", actor=sla, now=now)
    add(organisation=org["DM-PORTH"], duty=Duty.COMPLAINTS, name="Emma Owens",
        job_title="Complaints for individual cases", email="emma.owens@dwp.invalid", phone="01443 688604",
        actor=sla, now=now)
    add(organisation=org["DM-CCG-BRADFORD"], duty=Duty.CASE_ENQUIRIES, name="Contact Centre Agents, Bradford",
        email="ccbradford.housingbenefits@dwp.invalid", phone="0345 8500293", user=users["ccg.agent"], actor=sla,
        now=now)
    add(organisation=org["DM-HQ"], duty=Duty.AUTHORISED_OFFICER, name="Julie Thompson",
        job_title="Debt Management Infrastructure and Commercial Manager", email="julie.thompson@dwp.invalid",
        phone="01253 339057", actor=sla, now=long_ago)
    add(organisation=org["DM-HQ"], duty=Duty.SPOC, name="Sue Ritson", job_title="Debt Management Infrastructure Team",
        email="sue.ritson@dwp.invalid", user=users["admin"], actor=sla, now=long_ago)
    leeds = users["la.manager.leeds"]
    add(organisation=org["E08000035"], duty=Duty.SPOC, name="Martin Holt", job_title="Overpayments Manager",
        email="martin.holt@leeds.invalid", phone="0113 222 4000", user=leeds, actor=leeds, now=now)
    add(organisation=org["E08000035"], duty=Duty.AUTHORISED_OFFICER, name="Martin Holt",
        job_title="Overpayments Manager", email="martin.holt@leeds.invalid", actor=leeds, now=now)
    add(organisation=org["E08000035"], duty=Duty.CASE_ENQUIRIES, name="Priya Shah", job_title="Overpayments Officer",
        email="priya.shah@leeds.invalid", user=users["la.officer.leeds"], actor=leeds, now=now)
    sg = users["sg.official"]
    spoc = add(organisation=org["SG"], duty=Duty.SPOC, name="Social Security Programme SPoC",
               email="socialsecurityprogramme_PMO@gov.scot", user=sg, actor=sg, now=now)
    add(organisation=org["SG"], duty=Duty.SPOC, position=Contact.Position.ALTERNATE, name="Callum MacLeod",
        job_title="Alternative SPoC (MoU Annex B)", email="callum.macleod@gov.scot.invalid", actor=sg, now=now)
    services.absence_record(contact=spoc, starts_on=today + dt.timedelta(days=14), ends_on=today + dt.timedelta(days=18),
                            delegate_name="Isla Fraser", delegate_email="isla.fraser@gov.scot.invalid",
                            note="Programme board away days", actor=sg, now=now)
    dwp = users["dwp.policy"]
    add(organisation=org["DWP-POLICY"], duty=Duty.SPOC, name="Andrew Lyle", job_title="Devolution Programme SPoC",
        email="andrew.lyle@dwp.invalid", user=dwp, actor=dwp, now=now)
    add(organisation=org["DWP-POLICY"], duty=Duty.AUTHORISED_OFFICER, name="Andrew Lyle",
        job_title="Devolution Programme SPoC", email="andrew.lyle@dwp.invalid", actor=dwp, now=now)


def _issues(org, users, now, today):
    from liaison.governance.models import IssueCategory

    cat = {c.code: c for c in IssueCategory.objects.all()}
    earlier = now - dt.timedelta(days=21)
    leeds = users["la.manager.leeds"]
    late_pay = services.issue_raise(
        kind=Issue.Kind.ISSUE, category=cat["PAYMENT_DELAY"], title="Repayment for last month not received",
        description="The schedule arrived but the payment has not reached our account.", concerns=org["DM-FCG"],
        actor=leeds, now=earlier)
    services.action_add(issue=late_pay, description="Confirm the payment reference and the date it was made",
                        owner_name="Tariq Hussain", owner_email="tariq.hussain@dwp.invalid",
                        due_on=today - dt.timedelta(days=3), actor=users["sla.liaison"], now=earlier)
    services.issue_set_status(issue=late_pay, status=Issue.Status.IN_PROGRESS, note="Looking into it with FCG.",
                              actor=users["sla.liaison"], now=earlier + dt.timedelta(days=2))
    services.issue_escalate(issue=late_pay, reason="No payment reference after a week.", actor=leeds,
                            now=now - dt.timedelta(days=7))
    cardiff = services.issue_raise(
        kind=Issue.Kind.CONCERN, category=cat["UNSATISFACTORY_RESPONSE"],
        title="No call back on a customer's deduction rate",
        description="We asked twice for a call back about a customer's rate and have had no answer.",
        concerns=org["DM-CCG-BRADFORD"], actor=users["la.officer.cardiff"], now=now - dt.timedelta(days=4))
    quality = services.issue_raise(
        kind=Issue.Kind.ISSUE, category=cat["SLA_COMPLIANCE"], title="Referrals without the CIS check date",
        description="Several referrals this month came without the date CIS was checked.",
        concerns=org["E08000035"], actor=users["porth.officer"], now=now - dt.timedelta(days=30))
    services.issue_set_status(issue=quality, status=Issue.Status.RESOLVED,
                              note="Leeds retrained the team; the last two weeks' referrals were complete.",
                              actor=users["la.manager.leeds"], now=now - dt.timedelta(days=10))
    qiic = services.issue_raise(
        kind=Issue.Kind.QUESTION, category=cat["GENERAL"], title="Referral management information for the pilot",
        description="Which management information reports will DWP share for the transition year?",
        concerns=org["DWP-POLICY"], actor=users["sg.official"], now=now - dt.timedelta(days=40))
    services.issue_escalate(issue=qiic, reason="Needs a decision on data sharing from the programme leads.",
                            actor=users["sg.official"], now=now - dt.timedelta(days=25))
    services.issue_escalate(issue=qiic, reason="Policy teams could not agree the scope of the reports.",
                            actor=users["sg.official"], now=now - dt.timedelta(days=12))
    return [late_pay, cardiff, quality, qiic]


def _agreements(org, users, now, today):
    sla = users["sla.liaison"]
    starts = dates.add_months(today, 5 - 36).replace(day=1)  # expires in about five months: talks are due
    created = _at(starts)
    agreement = services.agreement_create(
        reference="SLA-E08000035", title="Recovery of Housing Benefit overpayments: Leeds",
        kind="SLA", party_a=org["DM-HQ"], party_b=org["E08000035"], starts_on=starts, actor=sla, now=created)
    services.agreement_version_issue(agreement=agreement, number="1.0", issued_on=starts,
                                     reason="Sign off of the SLA", actor=sla, now=created)
    variation = services.variation_request(
        agreement=agreement, title="CC Porth contact details changed",
        description="Appendix 3: the SLA liaison officer's telephone number is 01443 688604.",
        reason="Staff changes at CC Porth", actor=sla, now=created + dt.timedelta(days=200))
    services.variation_agree(variation=variation, actor=users["la.manager.leeds"],
                             now=created + dt.timedelta(days=205))
    services.agreement_version_issue(agreement=agreement, number="2.0",
                                     issued_on=starts + dt.timedelta(days=210),
                                     reason="Contact details for CC Porth changed", actor=sla,
                                     now=created + dt.timedelta(days=210))
    services.variation_request(
        agreement=agreement, title="Referrals by the API as well as the secure mailbox",
        description="Section 7.1: referrals may also be made through Liaison's API by the LA's own system.",
        reason="Leeds now refers from its HB system", actor=users["la.manager.leeds"], now=now - dt.timedelta(days=6))
    mou = services.agreement_create(
        reference="MOU-SG-DWP", title="Memorandum of Understanding on joint working arrangements", kind="MOU",
        party_a=org["SG"], party_b=org["DWP-POLICY"], starts_on=today.replace(month=1, day=1) - dt.timedelta(days=365),
        actor=users["sg.official"], now=now - dt.timedelta(days=300))
    services.notice_serve(agreement=mou, kind="DEFAULT", served_on=today - dt.timedelta(days=10),
                          details="Management information for the transition year has not been provided as "
                                  "agreed in the annex.", actor=users["sg.official"], now=now)
    return [agreement, mou]


def _groups(org, users, now, today):
    sg, dwp = users["sg.official"], users["dwp.policy"]
    setup = now - dt.timedelta(days=200)
    jsog = services.group_create(
        name="SG/UK Joint Senior Officials Group", code="jsog", side_a_org=org["SG"], side_b_org=org["DWP-POLICY"],
        purpose="Assures the implementation of the welfare provisions of the Scotland Act 2016.",
        secretariat_email="jsog-secretariat@gov.scot.invalid", actor=sg, now=setup)
    for side, actor, name, post, email, deputy, chair in [
        (Side.A, sg, "Director of Social Security", "Director of Social Security", "director.ss@gov.scot.invalid",
         "DD Social Security Policy Division", True),
        (Side.A, sg, "Director for Fair Work, Employability and Skills", "Director", "director.fwes@gov.scot.invalid",
         "DD Employability Programme Division", False),
        (Side.B, dwp, "Devolution Director", "DWP Devolution Director and SRO", "devolution.director@dwp.invalid",
         "DWP Scottish Devolution Programme Director", True),
        (Side.B, dwp, "Work Services Director, Scotland", "DWP Operations", "work.services@dwp.invalid", "", False),
    ]:
        services.group_member_add(group=jsog, side=side, name=name, job_title=post, email=email, deputy_name=deputy,
                                  can_chair=chair, actor=actor, now=setup)
    first_day = today - dt.timedelta(days=85)
    m1 = services.meeting_schedule(group=jsog, held_on=first_day, location="Edinburgh", actor=sg, now=setup)
    services.meeting_record_held(meeting=m1, actor=sg, now=_at(first_day, 17))
    services.minutes_draft(meeting=m1, text="1. Programme update.\n2. Milestones reviewed.\n3. Disputes: none.",
                           actor=sg, now=_at(first_day + dt.timedelta(days=2)))
    services.minutes_clear(meeting=m1, actor=sg, now=_at(first_day + dt.timedelta(days=3)))
    services.minutes_clear(meeting=m1, actor=dwp, now=_at(first_day + dt.timedelta(days=4)))
    services.minutes_circulate(meeting=m1, actor=sg, now=_at(first_day + dt.timedelta(days=5)))
    done = services.action_add(meeting=m1, description="Share the draft data sharing agreement",
                               owner_name="Andrew Lyle", owner_email="andrew.lyle@dwp.invalid",
                               due_on=first_day + dt.timedelta(days=30), actor=sg, now=_at(first_day, 18))
    services.action_complete(action=done, note="Shared by e-mail.", actor=dwp,
                             now=_at(first_day + dt.timedelta(days=25)))
    milestone = services.milestone_add(group=jsog, title="Transition year referral routes live",
                                       owner_name="Devolution Director", owner_email="devolution.director@dwp.invalid",
                                       owner_organisation=org["DWP-POLICY"], due_on=today + dt.timedelta(days=45),
                                       actor=sg, now=setup)
    services.milestone_add(group=jsog, title="Joint operational guidance published", owner_name="Director of Social Security",
                           owner_email="director.ss@gov.scot.invalid", owner_organisation=org["SG"],
                           due_on=today + dt.timedelta(days=100), actor=sg, now=setup)
    second_day = today - dt.timedelta(days=4)
    m2 = services.meeting_schedule(group=jsog, held_on=second_day, location="London", actor=dwp,
                                   now=_at(first_day + dt.timedelta(days=10)))
    services.meeting_record_held(meeting=m2, actor=dwp, now=_at(second_day, 17))
    services.milestone_update(milestone=milestone, status=Milestone.Status.AT_RISK, meeting=m2, actor=dwp,
                              exception={"reason": "IT changes to the referral system are late.",
                                         "impact": "Referrals stay on the clerical route for a month longer.",
                                         "mitigation": "A clerical workaround agreed with Jobcentre Plus.",
                                         "revised_due_on": today + dt.timedelta(days=75)},
                              note="Exception report received.", now=_at(second_day, 16))
    services.action_add(meeting=m2, description="Confirm the revised IT delivery date", owner_name="Andrew Lyle",
                        owner_email="andrew.lyle@dwp.invalid", due_on=today - dt.timedelta(days=1), actor=dwp,
                        now=_at(second_day, 17))
    services.minutes_draft(meeting=m2, text="1. Milestones: referral routes expected to slip (exception report).\n"
                                            "2. QIIC log reviewed.", actor=dwp, now=_at(second_day + dt.timedelta(days=1)))
    services.minutes_clear(meeting=m2, actor=dwp, now=_at(second_day + dt.timedelta(days=2)))
    services.meeting_schedule(group=jsog, held_on=today + dt.timedelta(days=60), location="Edinburgh", actor=sg,
                              now=now)

    sla = users["sla.liaison"]
    national = services.group_create(
        name="DM and Local Authorities national liaison group", code="dm-la-national", side_a_org=org["DM-HQ"],
        side_b_org=org["E08000035"], purpose="Liaison meetings between Debt Management and groups of LAs (SLA 12.2).",
        secretariat_email="dm-infrastructure@dwp.invalid", actor=sla, now=setup)
    services.group_member_add(group=national, side=Side.A, name="Julie Thompson", job_title="Authorised Officer",
                              email="julie.thompson@dwp.invalid", deputy_name="Sue Ritson", can_chair=True, actor=sla,
                              now=setup)
    for code, name in (("E08000035", "Martin Holt"), ("W06000015", "Ffion Pritchard"), ("S12000049", "Ross MacDonald")):
        services.group_member_add(group=national, side=Side.B, organisation=org[code], name=name,
                                  job_title=f"Overpayments lead, {org[code].name}", can_chair=code == "E08000035",
                                  actor=users["la.manager.leeds"], now=setup)
    held = today - dt.timedelta(days=110)  # more than three months ago: the next meeting is overdue
    meeting = services.meeting_schedule(group=national, held_on=held, location="Online", actor=sla, now=setup)
    services.meeting_record_held(meeting=meeting, actor=sla, now=_at(held, 16))
    return [jsog, national]


def _engagement(users, now, today):
    sg = users["sg.official"]
    opened = now - dt.timedelta(days=30)
    rnd = services.round_open(
        title="Designing the Social Security Charter: first round",
        purpose="We want to hear what the charter should look like and what it should include.",
        questions=["What should the charter promise people who use social security?",
                   "What would make the charter easy to understand?"],
        closes_on=timezone.localdate(opened) + dt.timedelta(days=20),
        actor=sg, now=opened)
    people = [(Participant.Kind.LIVED_EXPERIENCE, "Alex Morgan", "alex.morgan@example.invalid", ""),
              (Participant.Kind.LIVED_EXPERIENCE, "Sam Kowalski", "sam.kowalski@example.invalid", ""),
              (Participant.Kind.STAKEHOLDER, "Jo Patel", "jo.patel@advice.invalid", "Citizens Advice Scotland")]
    answers = [("Dignity and respect in every contact.", "Plain English, and an easy read version."),
               ("That decisions are explained and can be challenged.", "Short, with examples."),
               ("Clear standards for how long things take.", "Available in community languages.")]
    themes = [(["Dignity and respect"], ["Accessible formats"]), (["Fair decisions"], ["Plain language"]),
              (["Timeliness"], ["Accessible formats"])]
    questions = list(rnd.questions.all())
    for (kind, name, email, organisation), texts, tags in zip(people, answers, themes, strict=True):
        participant, _ = services.participant_invite(round=rnd, kind=kind, name=name, email=email,
                                                     organisation_name=organisation, actor=sg, now=opened)
        services.response_submit(participant=participant, answers={q.pk: t for q, t in zip(questions, texts,
                                                                                          strict=True)},
                                 now=opened + dt.timedelta(days=5))
        for response, tag in zip(participant.responses.order_by("question__position"), tags, strict=True):
            services.response_tag(response=response, themes=tag, actor=sg, now=opened + dt.timedelta(days=21))
    services.round_close(round=rnd, actor=sg, now=opened + dt.timedelta(days=21))
    services.round_publish(round=rnd, actor=sg, now=opened + dt.timedelta(days=22), summary=(
        "Three people took part: two with experience of social security and one stakeholder organisation.\n"
        "Everyone wanted dignity, fairness and clear timescales, and a charter in plain language with accessible "
        "versions."))
    return rnd
