"""Timeline event kinds of casework. The SLA measurement reads these names: do not rename them.

Every one is recorded with case = the debt's case and la = the debt's LA.

- coc.received: occurred_at = when DM received the change (the form, the API call or the file row); data holds
  "la_told_on" ("YYYY-MM-DD", the day the LA's overpayment team was told: the COC-NOTIFY clock starts there),
  "coc_id" and "kind". COC-NOTIFY runs from la_told_on to occurred_at (LA calendar); COC-ACTION from occurred_at.
- coc.actioned: occurred_at = when a DM agent actioned it (stops COC-ACTION); data "coc_id", "kind", "effect".
- coc.outcome_recorded: the outcome of an appeal, recorded by the LA (or by DM for it) and applied.
- complaint.received: occurred_at = when the CCG site (or CC Porth) received it (starts COMPLAINT-FWD).
- complaint.forwarded: occurred_at = when it was forwarded to the LA (stops COMPLAINT-FWD).
- soe.requested / soe.supplied: the LA's request for a sequence of events and its supply (the SOE standard).
- soe.downloaded: the LA (or DM) downloaded the document (a view of personal data: left out of the document).
- casework.assigned: a work item given to (or taken from) an agent.
"""

from liaison.core.events import EventKind, register

COC_RECEIVED = EventKind("coc.received", "Change of circumstances received")
COC_ACTIONED = EventKind("coc.actioned", "Change of circumstances actioned")
COC_OUTCOME_RECORDED = EventKind("coc.outcome_recorded", "Appeal outcome recorded and applied")
COMPLAINT_RECEIVED = EventKind("complaint.received", "Complaint or MP enquiry received")
COMPLAINT_FORWARDED = EventKind("complaint.forwarded", "Complaint or MP enquiry forwarded to the LA")
SOE_REQUESTED = EventKind("soe.requested", "Sequence of events requested")
SOE_SUPPLIED = EventKind("soe.supplied", "Sequence of events supplied")
SOE_DOWNLOADED = EventKind("soe.downloaded", "Sequence of events downloaded", is_view=True)
WORK_ASSIGNED = EventKind("casework.assigned", "Casework assigned")
register(COC_RECEIVED, COC_ACTIONED, COC_OUTCOME_RECORDED, COMPLAINT_RECEIVED, COMPLAINT_FORWARDED, SOE_REQUESTED,
         SOE_SUPPLIED, SOE_DOWNLOADED, WORK_ASSIGNED)
