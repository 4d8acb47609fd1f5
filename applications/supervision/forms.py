"""The period of a payments export, read from the query string (``?from=…&to=…``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

ISO_DATE = ["%Y-%m-%d"]


class PaymentPeriodForm(forms.Form):
    """``from`` and ``to`` are Python keywords, so the fields are added by name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label=_("From"),
            input_formats=ISO_DATE,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            error_messages={
                "required": _("Enter the first due date of the period."),
                "invalid": _("Enter a real date as YYYY-MM-DD, for example 2025-07-01."),
            },
        )
        self.fields["to"] = forms.DateField(
            label=_("To"),
            input_formats=ISO_DATE,
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            help_text=_("Both dates are included."),
            error_messages={
                "required": _("Enter the last due date of the period."),
                "invalid": _("Enter a real date as YYYY-MM-DD, for example 2025-07-31."),
            },
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period must not end before it starts."))
        return cleaned
