from __future__ import annotations

from liaison.partners.models import Mailbox, Organisation


def cc_porth() -> Organisation:
    return Organisation.objects.get(unit=Organisation.Unit.CC_PORTH)


def referral_mailbox_for(nation: str) -> str | None:
    """CC Porth keeps separate referral mailboxes for Welsh, Scottish and English LAs (SLA Appendix 8)."""
    box = Mailbox.objects.filter(organisation__unit=Organisation.Unit.CC_PORTH, purpose="referrals",
                                 nation=nation).first()
    return box.email if box else None


def local_authorities():
    return Organisation.objects.filter(kind=Organisation.Kind.LOCAL_AUTHORITY, active=True).order_by("name")
