"""Forms of outreach, and the marks a step of the application form shows on pre-filled answers."""

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.id_numbers import validate_id_number
from applications.outreach.selectors import prefill_marks
from eligibility.screener.questions import QUESTIONS


class UnechoedTextInput(forms.TextInput):
    """A text box that is empty again when the page comes back: an identity number that did not
    match is not written back into the page (the error shows only its last characters)."""

    def format_value(self, value):
        return None


class IdentityNumberForm(forms.Form):
    """The invited person proves the invitation is theirs: the identity number the registry holds."""

    id_number = forms.CharField(
        label=_("Resident identity number"),
        max_length=22,
        error_messages={"required": _("Enter your resident identity number.")},
        help_text=_("18 characters: 17 digits and a last digit or X."),
        widget=UnechoedTextInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}),
    )

    def clean_id_number(self) -> str:
        return validate_id_number(self.cleaned_data["id_number"])


class OptOutForm(forms.Form):
    """One button: nothing to fill in."""


def prefill_mark_form(form: forms.Form, application) -> dict[str, str]:
    """Marks each field of ``form`` whose answer was taken from a registry “Provided by
    <department> on <date>”, in its help text; returns the marks by field name."""
    marked = {}
    for name, mark in prefill_marks(application).items():
        question = QUESTIONS.get(name)
        field_name = question.field_name if question is not None and name not in form.fields else name
        field = form.fields.get(field_name)
        if field is None:
            continue
        field.help_text = f"{mark} · {field.help_text}" if field.help_text else mark
        field.widget.attrs["data-provided-by"] = "registry"
        marked[field_name] = mark
    return marked
