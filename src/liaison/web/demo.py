"""A realistic demo data set: people in every role, a benefit register, and referrals through the real pipeline.

Everything goes through the same services a user's actions do, so the demo shows real outcomes, notices and
timelines. Deterministic (seeded), and re-runnable: it does nothing if the demo people already exist.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from liaison.benefits.models import Award
from liaison.partners.models import ApiToken, Organisation, Role, User
from liaison.recovery.models import InstalmentPlan
from liaison.referrals.models import Channel, Referral, Status
from liaison.referrals.services import referral_decide, referrals_receive

DEMO_PASSWORD = "Liaison-demo-2026"
DEMO_LAS = {"leeds": "E08000035", "cardiff": "W06000015", "glasgow": "S12000049"}

FIRST = ["Aled", "Bethan", "Callum", "Dafydd", "Eilidh", "Fiona", "Gareth", "Hamish", "Isla", "Jack", "Kirsty",
         "Liam", "Megan", "Niamh", "Owen", "Priya", "Rhys", "Sana", "Tomasz", "Uzma", "Wendy", "Yusuf", "Zara"]
LAST = ["Ahmed", "Bevan", "Campbell", "Davies", "Evans", "Fraser", "Griffiths", "Hughes", "Iqbal", "Jones",
        "Kowalski", "MacLeod", "Morgan", "Nowak", "O'Neill", "Patel", "Reid", "Smith", "Thomas", "Walker", "Wilson"]
STREETS = ["Station Road", "Church Lane", "High Street", "Victoria Road", "Mill Lane", "Park Avenue", "Queen Street"]
TOWNS = {"leeds": ("Leeds", "LS"), "cardiff": ("Cardiff", "CF"), "glasgow": ("Glasgow", "G")}
PRESCRIBED = ["ESA", "JSA", "PC", "CA", "IS", "RP"]
NINO_PREFIXES = ["AB", "CE", "JH", "KP", "LM", "PR", "SW", "WX", "YA", "EH"]


@dataclass
class DemoPerson:
    username: str
    role: str
    organisation: str
    name: str


PEOPLE = [
    DemoPerson("la.officer.leeds", Role.LA_OFFICER, "E08000035", "Priya Shah"),
    DemoPerson("la.manager.leeds", Role.LA_MANAGER, "E08000035", "Martin Holt"),
    DemoPerson("la.officer.cardiff", Role.LA_OFFICER, "W06000015", "Ffion Pritchard"),
    DemoPerson("la.officer.glasgow", Role.LA_OFFICER, "S12000049", "Ross MacDonald"),
    DemoPerson("porth.officer", Role.PORTH_OFFICER, "DM-PORTH", "Emma Owens"),
    DemoPerson("ccg.agent", Role.CCG_AGENT, "DM-CCG-BRADFORD", "Tariq Hussain"),
    DemoPerson("fcg.finance", Role.FCG_FINANCE, "DM-FCG", "Helen Clarke"),
    DemoPerson("sla.liaison", Role.SLA_LIAISON, "DM-PORTH", "Mark Harman"),
    DemoPerson("admin", Role.ADMIN, "DM-HQ", "Liaison Administrator"),
]


def _nino(rng: random.Random) -> str:
    return f"{rng.choice(NINO_PREFIXES)}{rng.randint(0, 999999):06d}{rng.choice('ABCD')}"


def _referral(rng, la_key, la_code, ref, customer_nino, today, overrides):
    town, area = TOWNS[la_key]
    start = today - dt.timedelta(days=rng.randint(200, 700))
    data = {
        "la_code": la_code, "referral_date": today.isoformat(),
        "cis_checked_on": (today - dt.timedelta(days=rng.randint(0, 5))).isoformat(),
        "customer_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "address_line_1": f"{rng.randint(1, 200)} {rng.choice(STREETS)}", "address_line_3": town,
        "postcode": f"{area}{rng.randint(1, 9)} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                    f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
        "nino": customer_nino, "date_of_birth": dt.date(rng.randint(1950, 2000), rng.randint(1, 12), rng.randint(1, 28)).isoformat(),
        "la_reference": ref, "benefit": rng.choice(["HB", "HB", "HB", "CTB"]), "civil_penalty": "no",
        "cause": rng.choice(["failure_to_disclose", "misrepresentation"]),
        "classification": rng.choice(["error", "error", "error", "fraud"]),
        "reason": rng.choice(["EARNINGS", "INCOME", "CAPITAL", "HOUSEHOLD", "NON_DEPENDANT", "MOVED"]),
        "period_from": start.isoformat(), "period_to": (start + dt.timedelta(days=rng.randint(30, 180))).isoformat(),
        "amount_recovered": f"{rng.randint(0, 300)}.00",
        "outstanding_balance": f"{rng.randint(150, 6000)}.{rng.randint(0, 99):02d}",
    }
    data.update(overrides)
    return data


def _dated(data: dict, day: dt.date) -> dict:
    """The referral as sent on `day`: referred that day, CIS checked a day or two before."""
    return {**data, "referral_date": day.isoformat(), "cis_checked_on": (day - dt.timedelta(days=2)).isoformat()}


def demo_load(*, now: dt.datetime | None = None) -> dict:
    """Load the demo. Returns what a person needs to try it (sign-ins, an API token)."""
    if User.objects.filter(username="la.officer.leeds").exists():
        from liaison.governance.demo import governance_demo

        governance_demo(now)  # adds the governance demo to a demo loaded before it existed; else does nothing
        return {"created": False}
    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(20141124)
    with transaction.atomic():
        users = {}
        for person in PEOPLE:
            first, _, last = person.name.partition(" ")
            user = User.objects.create_user(
                username=person.username, password=DEMO_PASSWORD, first_name=first, last_name=last,
                email=f"{person.username}@liaison.invalid", role=person.role,
                organisation=Organisation.objects.get(code=person.organisation),
                is_staff=person.role == Role.ADMIN, is_superuser=person.role == Role.ADMIN)
            users[person.username] = user
        _, token = ApiToken.issue(user=users["la.officer.leeds"], name="Leeds HB system (demo)")

        # The benefit register: most customers receive a prescribed benefit; some do not.
        ninos = {key: [_nino(rng) for _ in range(40)] for key in DEMO_LAS}
        awards = []
        for key, group in ninos.items():
            for index, nino in enumerate(group):
                if index % 10 == 9:
                    awards.append(Award(nino=nino, benefit_id="UC", weekly_amount_pence=rng.randint(8000, 20000),
                                        start=today - dt.timedelta(days=400), source="demo"))
                    continue
                awards.append(Award(nino=nino, benefit_id=rng.choice(PRESCRIBED),
                                    weekly_amount_pence=rng.randint(8000, 25000),
                                    start=today - dt.timedelta(days=rng.randint(60, 2000)), source="demo"))
        Award.objects.bulk_create(awards)
        for nino in (ninos["leeds"][7], ninos["glasgow"][3]):
            InstalmentPlan.objects.create(nino=nino, reference=f"DM-IP-{nino}", start=today - dt.timedelta(days=90),
                                          weekly_amount_pence=1000)

        results = []
        for key, code in DEMO_LAS.items():
            la = Organisation.objects.get(code=code)
            officer = users[f"la.officer.{key}"]
            group = ninos[key]
            rows = []
            for index, nino in enumerate(group[:30]):
                ref = f"{key[:3].upper()}/OP/{2025000 + index}"
                overrides = {}
                if index in (4, 14):
                    overrides = {"nino": "QQ123456A", "postcode": "NOT A CODE"}  # non-quality: LARETM
                if index == 20:
                    overrides = {"outstanding_balance": "", "reason": "OTHER"}
                rows.append((None, _referral(rng, key, code, ref, nino, today, overrides)))
            # A duplicate of the first referral (same customer, period and balance, new reference) ...
            dup = dict(rows[0][1], la_reference=f"{key[:3].upper()}/OP/DUP1")
            # ... a near-duplicate (same customer, overlapping period, different balance) for the work queue ...
            near = dict(rows[1][1], la_reference=f"{key[:3].upper()}/OP/NEAR1", outstanding_balance="99.99")
            # ... and a Civil Penalty linked to its overpayment.
            penalty = dict(rows[2][1], la_reference=f"{key[:3].upper()}/CP/1", civil_penalty="yes",
                           civil_penalty_overpayment_reference=rows[2][1]["la_reference"], outstanding_balance="50.00",
                           classification="fraud")
            first_half = rows[:15]
            for i, (_, data) in enumerate(first_half):
                channel = Channel.WEB if i % 2 else Channel.API
                when = now - dt.timedelta(days=20 - i)
                results += referrals_receive(la=la, channel=channel, rows=[(None, _dated(data, when.date()))],
                                             actor=officer, received_at=when)
            when = now - dt.timedelta(days=3)
            results += referrals_receive(
                la=la, channel=Channel.FILE, actor=officer, received_at=when,
                rows=[(n + 2, _dated(d, when.date())) for n, (_, d) in enumerate(rows[15:] + [(None, dup)])])
            when = now - dt.timedelta(days=1)
            results += referrals_receive(la=la, channel=Channel.WEB, actor=officer, received_at=when,
                                         rows=[(None, _dated(near, when.date())), (None, _dated(penalty, when.date()))])
        # CC Porth has already decided one of the queued referrals.
        queued = Referral.objects.filter(status=Status.QUEUED).order_by("id").first()
        if queued is not None:
            referral_decide(referral=queued, outcome=Status.LOADED, actor=users["porth.officer"], now=now,
                            reasons="Checked with the LA by phone: the earlier referral was for a different "
                                    "overpayment period; both are recoverable.")
        results += _recovery_history(users=users, rng=rng, now=now)
        _casework(users=users, now=now)
        from liaison.governance.demo import governance_demo

        governance_demo(now)  # contacts, issues log, agreements, meetings, engagement (re-runnable)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return {"created": True, "api_token": token, "outcomes": {str(k): v for k, v in sorted(counts.items())}}


def _recovery_history(*, users, rng: random.Random, now: dt.datetime) -> list:
    """An earlier cohort of debts with months of recovery behind them: deductions every week, a hardship
    reduction, a suspension, a reversal, a stopped debt, debts paid in full, and the monthly remittances."""
    from django.apps import apps

    from liaison.recovery.ledger import (
        SuspensionScope, debt_stop, deduction_reverse, deduction_run, hardship_decide, hardship_record,
        suspension_create, week_of,
    )
    from liaison.recovery.models import Debt, LedgerEntry

    start = now - dt.timedelta(days=210)
    results = []
    for key, code in DEMO_LAS.items():
        la = Organisation.objects.get(code=code)
        rows = []
        for index in range(12):
            nino = _nino(rng)
            Award.objects.create(nino=nino, benefit_id=rng.choice(PRESCRIBED), weekly_amount_pence=rng.randint(9000, 25000),
                                 start=start.date() - dt.timedelta(days=400), source="demo")
            balance = f"{rng.choice([40, 90, 150, 400, 900, 2500])}.{rng.randint(0, 99):02d}"
            data = _referral(rng, key, code, f"{key[:3].upper()}/OP/2024{index:03d}", nino, start.date(),
                             {"outstanding_balance": balance})
            rows.append((index + 2, _dated(data, start.date())))
        results += referrals_receive(la=la, channel=Channel.FILE, rows=rows, actor=users[f"la.officer.{key}"],
                                     received_at=start)
    agent = users["ccg.agent"]
    cohort = list(Debt.objects.filter(loaded_at=start).order_by("-original_balance_pence", "id"))  # largest first
    first_week = min(d.recovery_start_date for d in cohort)
    last_week = week_of(timezone.localdate(now)) - dt.timedelta(weeks=1)
    week, n = first_week, 0
    while week <= last_week:
        when = dt.datetime.combine(week + dt.timedelta(days=7), dt.time(6, 30), tzinfo=dt.UTC)
        if n == 3:
            application = hardship_record(debt=cohort[0], received_on=week, forwarded_by_la=True, actor=agent,
                                          details="Customer says rent arrears make the deduction unaffordable.",
                                          weekly_income_pence=11200, weekly_outgoings_pence=10900, now=when)
            hardship_decide(application=application, grant=True, reasons="Essential outgoings leave £3.00 a week.",
                            new_weekly_pence=300, effective_from=week + dt.timedelta(weeks=1), actor=agent, now=when)
        if n == 5:
            suspension_create(scope=SuspensionScope(debt=cohort[1]), starts=week, ends=week + dt.timedelta(weeks=4, days=6),
                              reason="Customer has appealed the overpayment decision", actor=agent, now=when)
        deduction_run(week_start=week, now=when)
        if n == 6:
            entry = LedgerEntry.objects.filter(debt=cohort[2], kind="DEDUCTION").order_by("id").first()
            if entry is not None:
                deduction_reverse(entry=entry, reason="Deducted from the wrong award", actor=agent, now=when)
        if n == 10:
            debt_stop(debt=cohort[2], reason=Debt.StopReason.NOW_ON_HB, actor=agent, now=when,
                      details="The LA will recover from ongoing Housing Benefit.")
        week += dt.timedelta(weeks=1)
        n += 1
    if apps.is_installed("liaison.remittance"):
        from liaison.remittance.services import remittance_run

        month = start.date().replace(day=1)
        this_month = timezone.localdate(now).replace(day=1)
        while month < this_month:
            following = (month + dt.timedelta(days=32)).replace(day=1)
            remittance_run(month=month, now=dt.datetime.combine(following, dt.time(7), tzinfo=dt.UTC))
            month = following
    return results


def _casework(*, users, now: dt.datetime) -> None:
    """Leeds' casework: changes of circumstances (one actioned, one waiting), a complaint forwarded and an MP enquiry
    waiting, a sequence of events supplied and one asked for."""
    from liaison.casework.models import Complaint
    from liaison.casework.services import (
        change_action, change_notify, complaint_forward, complaint_record, soe_request, soe_supply,
    )
    from liaison.recovery.models import Debt

    leeds = Organisation.objects.get(code=DEMO_LAS["leeds"])
    officer, agent = users["la.officer.leeds"], users["ccg.agent"]
    debts = list(Debt.objects.filter(la=leeds, status=Debt.Status.IN_RECOVERY).order_by("id")[:4])
    if len(debts) < 4:
        return

    def change(debt, kind, days_ago, details=""):
        when = now - dt.timedelta(days=days_ago)
        return change_notify(la=leeds, actor=officer, channel="WEB", now=when, data={
            "customer_name": debt.debtor_name, "nino": debt.nino, "la_reference": debt.la_reference,
            "change": kind, "la_told_on": (when - dt.timedelta(days=1)).date().isoformat(), "details": details,
            "officer_name": officer.display_name})

    appealed = change(debts[0], "appealed", 6, "The customer has asked for the overpayment decision to be looked at "
                                               "again.")
    change_action(change=appealed, actor=agent, now=now - dt.timedelta(days=5))
    change(debts[1], "other", 1, "The customer has moved to 14 Chapel Street, Leeds LS6 3HU.")
    forwarded = complaint_record(debt=debts[2], kind=Complaint.Kind.COMPLAINT, made_by="The customer",
                                 received_on=(now - dt.timedelta(days=4)).date(), channel=Complaint.ReceivedBy.PHONE,
                                 summary="Says the weekly deduction leaves too little for food.", actor=agent,
                                 now=now - dt.timedelta(days=4))
    complaint_forward(complaint=forwarded, actor=agent, now=now - dt.timedelta(days=3),
                      note="Customer told the LA will reply; hardship form sent.")
    complaint_record(debt=debts[3], kind=Complaint.Kind.MP_ENQUIRY, made_by="The Member of Parliament for Leeds "
                     "Central", received_on=(now - dt.timedelta(days=1)).date(), channel=Complaint.ReceivedBy.LETTER,
                     summary="Asks when deductions started and how much is left to pay.", actor=agent,
                     now=now - dt.timedelta(days=1))
    supplied = soe_request(debt=debts[2], actor=officer, now=now - dt.timedelta(days=3),
                           reason="For the customer's appeal tribunal bundle.")
    soe_supply(request=supplied, actor=agent, now=now - dt.timedelta(days=2))
    soe_request(debt=debts[3], actor=officer, now=now - dt.timedelta(hours=5), reason="To answer the MP's enquiry.")
