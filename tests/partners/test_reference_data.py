import pytest
from django.core.management import call_command

from liaison.partners.models import Mailbox, Organisation

pytestmark = pytest.mark.django_db


def test_every_la_that_administers_hb_is_loaded_with_its_nation_and_code(refdata):
    las = Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY)
    assert las.count() == 350
    assert las.filter(nation="WLS").count() == 22
    assert las.filter(nation="SCT").count() == 32
    assert las.get(code="S12000049").name == "Glasgow City"
    assert las.get(code="E06000066").name == "Somerset"
    assert not las.filter(ccg_site__isnull=True).exists()


def test_dm_units_and_porths_three_intake_mailboxes(refdata):
    assert set(Organisation.objects.filter(unit=Organisation.Unit.CCG_SITE).values_list("name", flat=True)) == {
        "CCG Bradford", "CCG Corby", "CCG Dearne Valley", "CCG Nuneaton"}
    assert Organisation.objects.filter(unit=Organisation.Unit.FCG).count() == 1
    boxes = Mailbox.objects.filter(organisation__unit=Organisation.Unit.CC_PORTH, purpose="referrals")
    assert {b.nation: b.email for b in boxes} == {
        "WLS": "porth.housingbenefitwales@dwp.gsi.gov.uk",
        "SCT": "porth.housingbenefitscotland@dwp.gsi.gov.uk",
        "ENG": "porth.housingbenefitengland@dwp.gsi.gov.uk"}


def test_loading_again_changes_nothing_and_keeps_what_administrators_set(refdata):
    leeds = Organisation.objects.get(code="E08000035")
    leeds.intake_email = "hb.overpayments@leeds.example"
    leeds.save()
    before = Organisation.objects.count(), Mailbox.objects.count()
    call_command("load_reference_data", stdout=open("/dev/null", "w"))
    assert (Organisation.objects.count(), Mailbox.objects.count()) == before
    assert Organisation.objects.get(code="E08000035").intake_email == "hb.overpayments@leeds.example"
