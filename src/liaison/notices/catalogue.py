"""The notice catalogue (SLA Appendix 5, plus the clerical notifications of SLA 7.2). Data first, code reads it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NoticeType:
    code: str
    title: str
    purpose: str
    template: str


HBREC = NoticeType("HBREC", "Recovery start letter", "Tells the LA recovery will start, from when and at what rate.",
                   "notices/hbrec.html")
HBPIF = NoticeType("HBPIF", "Paid in full notification", "Tells the LA the debt has been recovered in full.",
                   "notices/hbpif.html")
LAHSAG = NoticeType("LAHSAG", "Recovery reduced: hardship", "Tells the LA the rate was reduced for hardship.",
                    "notices/lahsag.html")
LARET = NoticeType("LARET", "Overpayment return letter", "Returns the overpayment to the LA, with the reason.",
                   "notices/laret.html")
LARETM = NoticeType("LARETM", "Missing data return letter", "Returns a referral that is missing or has invalid data, "
                    "listing every fault.", "notices/laretm.html")
CLERICAL = NoticeType("CLERICAL", "Clerical notification", "Tells the LA a referral was not loaded (a current "
                      "instalment plan, or a duplicate), and why.", "notices/clerical.html")

# Casework letters (not Debt Manager's automated notifications of Appendix 5): what DM did with a change of
# circumstances where no Appendix 5 notice says it, a complaint forwarded, and a sequence of events supplied.
COCACT = NoticeType("COCACT", "Change of circumstances actioned", "Tells the LA what DM did with a change of "
                    "circumstances it sent (recovery suspended for an appeal, the appeal's outcome applied, or DM's "
                    "decision on another change).", "notices/cocact.html")
COMPLAINT = NoticeType("COMPLAINT", "Complaint or MP enquiry forwarded", "Forwards to the LA a customer's complaint "
                       "or an MP's enquiry about an HB debt, received by a DM Contact Centre.", "notices/complaint.html")
SOE = NoticeType("SOE", "Sequence of events supplied", "Tells the LA the sequence of events it asked for is ready to "
                 "download from Liaison.", "notices/soe.html")

CATALOGUE: dict[str, NoticeType] = {t.code: t for t in (HBREC, HBPIF, LAHSAG, LARET, LARETM, CLERICAL, COCACT,
                                                        COMPLAINT, SOE)}


def get(code: str) -> NoticeType:
    return CATALOGUE[code]
