from django import template

register = template.Library()

TAGS = {
    # changes of circumstances
    "RECEIVED": "govuk-tag--yellow", "AWAITING_OUTCOME": "govuk-tag--purple", "ACTIONED": "govuk-tag--green",
    "CONCLUDED": "govuk-tag--green",
    # complaints and sequences of events
    "FORWARDED": "govuk-tag--green", "REQUESTED": "govuk-tag--yellow", "SUPPLIED": "govuk-tag--green",
    # files and their rows
    "ACCEPTED": "govuk-tag--green", "REFUSED": "govuk-tag--red", "DONE": "govuk-tag--green",
    "RUNNING": "govuk-tag--blue", "PENDING": "govuk-tag--grey", "REJECTED": "govuk-tag--red",
    "STOPPED": "govuk-tag--orange",
    # how soon work is due
    "overdue": "govuk-tag--red", "soon": "govuk-tag--orange", "later": "govuk-tag--grey",
}
URGENCY = {"overdue": "Overdue", "soon": "Due soon", "later": "Due later"}


@register.filter
def casework_tag(value) -> str:
    return TAGS.get(str(value), "govuk-tag--grey")


@register.filter
def urgency_label(value) -> str:
    return URGENCY.get(str(value), "")
