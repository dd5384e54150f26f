"""Governance fixtures: the parties (an LA, DM's units, the governments), people at each, and a fixed clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from liaison.governance import services
from liaison.governance.models import Contact, Duty, IssueCategory
from liaison.partners.models import Organisation, Role

LONDON = ZoneInfo("Europe/London")
SOME_LAS = {"E08000035", "W06000015", "S12000049"}  # Leeds, Cardiff, Glasgow City


@pytest.fixture
def refdata(db, tmp_path_factory):
    """The reference data governance needs, loaded by the real loaders: DM's units, the governments, three LAs
    from the shipped list, and the issue categories. (The full list of ~360 LAs is not needed here.)"""
    if not Organisation.objects.filter(code="DM-PORTH").exists():
        from liaison.governance.reference import issue_categories_load
        from liaison.partners.services import DATA_DIR, reference_organisations_load

        lines = (DATA_DIR / "local_authorities.csv").read_text(encoding="utf-8").splitlines()
        some = tmp_path_factory.mktemp("las") / "las.csv"
        some.write_text("\n".join([lines[0], *[line for line in lines[1:] if line.split(",")[0] in SOME_LAS]]) + "\n",
                        encoding="utf-8")
        reference_organisations_load(la_file=some)
        issue_categories_load()
    return True


def at(year, month, day, hour=10, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


NOW = at(2025, 3, 10)  # a Monday
TODAY = NOW.date()


@pytest.fixture
def org(refdata):
    def get(code: str) -> Organisation:
        return Organisation.objects.get(code=code)
    return get


@pytest.fixture
def sg(org):
    return org("SG")


@pytest.fixture
def dwp(org):
    return org("DWP-POLICY")


@pytest.fixture
def la_manager(make_user, la):
    return make_user(Role.LA_MANAGER, la, "la.manager")


@pytest.fixture
def other_la_manager(make_user, other_la):
    return make_user(Role.LA_MANAGER, other_la, "other.la.manager")


@pytest.fixture
def sla_liaison(make_user, porth):
    return make_user(Role.SLA_LIAISON, porth, "sla.liaison", email="sla.liaison@dwp.invalid")


@pytest.fixture
def sg_official(make_user, sg):
    return make_user("", sg, "sg.official", email="sg.official@gov.scot.invalid")


@pytest.fixture
def dwp_official(make_user, dwp):
    return make_user("", dwp, "dwp.official", email="dwp.official@dwp.invalid")


@pytest.fixture
def category(refdata):
    def get(code: str) -> IssueCategory:
        return IssueCategory.objects.get(code=code)
    return get


@pytest.fixture
def dm_contacts(org, sla_liaison, porth_officer, ccg_agent):
    """DM's nominated officers as SLA Appendix 3 names them."""
    made = {}
    add = services.contact_create
    made["case"] = add(organisation=org("DM-CCG-BRADFORD"), duty=Duty.CASE_ENQUIRIES, name="Bradford agents",
                       email="bradford@dwp.invalid", user=ccg_agent, actor=sla_liaison, now=NOW)
    made["liaison"] = add(organisation=org("DM-PORTH"), duty=Duty.SLA_LIAISON, name="Emma Owens",
                          email="emma.owens@dwp.invalid", phone="01443 688604", user=porth_officer,
                          actor=sla_liaison, now=NOW)
    made["liaison_alt"] = add(organisation=org("DM-PORTH"), duty=Duty.SLA_LIAISON,
                              position=Contact.Position.ALTERNATE, name="Gareth Price",
                              email="gareth.price@dwp.invalid", actor=sla_liaison, now=NOW)
    made["authorised"] = add(organisation=org("DM-HQ"), duty=Duty.AUTHORISED_OFFICER, name="Julie Thompson",
                             email="julie.thompson@dwp.invalid", actor=sla_liaison, now=NOW)
    made["spoc"] = add(organisation=org("DM-HQ"), duty=Duty.SPOC, name="Sue Ritson", email="sue.ritson@dwp.invalid",
                       actor=sla_liaison, now=NOW)
    return made
