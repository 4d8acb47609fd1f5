"""The staff case page's list of answers taken from department registries."""

from django import template

from applications.outreach.selectors import prefilled_answers_for_staff

register = template.Library()


@register.inclusion_tag("outreach/partials/staff_prefill.html")
def registry_prefill(application):
    answers = prefilled_answers_for_staff(application)
    return {"answers": answers, "corrections": sum(answer.corrected for answer in answers)}
