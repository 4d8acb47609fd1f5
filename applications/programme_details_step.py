"""The form step where the applicant names what the programme asks beyond the facts
(the construction project of a project cover: ``services.fulfilment.PROGRAMME_DETAILS``)."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from applications.services.fulfilment import (
    PROGRAMME_DETAILS_STEP,
    TEXT_LIMIT,
    application_save_programme_details,
    programme_details_fields,
)

HELP = {
    "project_name": _("The name of the construction project, as on the site board."),
    "site_address": _("Where the site is, for example 衢州市柯城区白云街道 ×× 路."),
    "general_contractor": _("The company that holds the main contract."),
}


class ProgrammeDetailsForm(forms.Form):
    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in programme_details_fields(programme):
            self.fields[name] = forms.CharField(
                label=label,
                max_length=TEXT_LIMIT,
                help_text=HELP.get(name, ""),
                error_messages={"required": _("Fill this in.")},
            )


def programme_details_step(request, application):
    from applications.views import _after_save, _step_context

    form = ProgrammeDetailsForm(
        request.POST or None, programme=application.programme, initial=application.programme_details or {}
    )
    if request.method == "POST" and form.is_valid():
        try:
            application_save_programme_details(application=application, details=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _after_save(request, application, PROGRAMME_DETAILS_STEP)
    context = _step_context(application, PROGRAMME_DETAILS_STEP, form)
    status = 400 if request.method == "POST" else 200
    return render(request, "applications/step_project.html", context, status=status)
