"""The form a policy administrator adds a budget value with."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from applications.budgets.services import FIRST_YEAR, LAST_YEAR

ISO_DATE = ["%Y-%m-%d"]


class BudgetAddForm(forms.Form):
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=None,
        empty_label=_("Choose a programme"),
        error_messages={
            "required": _("Choose the programme."),
            "invalid_choice": _("Choose one of the cash programmes listed."),
        },
    )
    year = forms.IntegerField(
        label=_("Year"),
        min_value=FIRST_YEAR,
        max_value=LAST_YEAR,
        error_messages={
            "required": _("Enter the year the budget is for, for example 2027."),
            "invalid": _("Enter the year as four digits, for example 2027."),
            "min_value": _("Enter a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
            "max_value": _("Enter a year from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
        },
    )
    amount = forms.DecimalField(
        label=_("Budget (yuan)"),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        help_text=_("The whole year's budget in yuan, with at most two decimal places, for example 5000000.00."),
        error_messages={
            "required": _("Enter the budget in yuan."),
            "invalid": _("Enter the budget as a number of yuan, for example 5000000.00."),
            "min_value": _("A budget cannot be negative."),
            "max_digits": _("Enter at most 12 digits before the decimal point."),
            "max_decimal_places": _("Enter at most two decimal places."),
            "max_whole_digits": _("Enter at most 12 digits before the decimal point."),
        },
    )
    valid_from = forms.DateField(
        label=_("Valid from"),
        input_formats=ISO_DATE,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The first day the value applies: after today, since values in force are never rewritten."),
        error_messages={
            "required": _("Enter the date the value applies from."),
            "invalid": _("Enter a real date as YYYY-MM-DD, for example 2027-01-01."),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say why the budget is set or changed.")},
    )

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        from eligibility.models import Programme

        self.fields["programme"].queryset = Programme.objects.filter(pk__in=[p.pk for p in programmes])
        self.fields["programme"].label_from_instance = lambda programme: programme.title
