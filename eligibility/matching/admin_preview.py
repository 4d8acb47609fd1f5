"""The "preview the effect" step of adding a parameter value in the admin (issue 12, item 5).

``eligibility.admin.ParameterAdmin.value_add_view`` calls ``value_preview_response``
when the form was sent with its "preview" button: the page shows what the new
value would change (``whatif.whatif_preview``) and carries the entered values
in hidden fields, with a button that saves them through the existing save path
(the same view without "preview") and one that goes back to the form.
"""

from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from eligibility.matching.models import MatchResult
from eligibility.matching.whatif import whatif_preview
from eligibility.models import Programme

PREVIEW_BUTTON = "preview"
BACK_BUTTON = "edit"

STATUS_LABELS = dict(MatchResult.Status.choices)


def preview_requested(request) -> bool:
    return request.method == "POST" and PREVIEW_BUTTON in request.POST


def back_requested(request) -> bool:
    return request.method == "POST" and BACK_BUTTON in request.POST


def whatif_rows(found) -> tuple[list[dict], list[tuple[str, int]]]:
    """What a what-if preview (``whatif.WhatIf``) shows, in the reader's language: its example
    persons with programme titles and status labels, and the count of changed results by
    programme title. The admin's preview and a proposal's page (eligibility.console) show both."""
    titles = {programme.slug: programme.title for programme in Programme.objects.all()}
    examples = [
        {
            "person": example,
            "programme": titles.get(example.programme, example.programme),
            "before": STATUS_LABELS.get(example.status_before, example.status_before),
            "after": STATUS_LABELS.get(example.status_after, example.status_after),
        }
        for example in found.examples
    ]
    programmes = [(titles.get(slug, slug), count) for slug, count in found.changed_by_programme.items()]
    return examples, programmes


def value_preview_response(model_admin, request, parameter, form) -> TemplateResponse | None:
    """The preview page of the value in ``form`` (valid), or None when the value is refused (errors on the form)."""
    try:
        found = whatif_preview(
            parameter_key=parameter.key, value=form.cleaned_data["value"], valid_from=form.cleaned_data["valid_from"]
        )
    except ValidationError as error:
        form.add_error("value", error.messages)
        return None
    examples, programmes = whatif_rows(found)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("What the new value of %(key)s would change") % {"key": parameter.key},
        "parameter": parameter,
        "form": form,
        "whatif": found,
        "examples": examples,
        "programmes": programmes,
        "back_button": BACK_BUTTON,
    }
    return TemplateResponse(request, "matching/admin_preview.html", context)
