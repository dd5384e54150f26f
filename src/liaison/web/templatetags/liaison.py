from django import template

from liaison.core.money import format_pence

register = template.Library()


@register.filter
def pounds(pence):
    return format_pence(pence)


@register.filter
def get(mapping, key):
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


STATUS_TAG = {
    "LOADED": "govuk-tag--green", "QUEUED": "govuk-tag--yellow", "RETURNED_NON_QUALITY": "govuk-tag--red",
    "RETURNED_NO_BENEFIT": "govuk-tag--orange", "NOT_LOADED_PLAN": "govuk-tag--grey",
    "NOT_LOADED_DUPLICATE": "govuk-tag--grey", "RESENT": "govuk-tag--blue",
    "DONE": "govuk-tag--green", "RUNNING": "govuk-tag--blue", "PENDING": "govuk-tag--grey",
    "REJECTED": "govuk-tag--red", "STOPPED": "govuk-tag--orange",
}


@register.filter
def status_tag(status):
    return STATUS_TAG.get(str(status), "govuk-tag--grey")
