"""The forms of the policy console: in the reader's language, codes picked from their labels."""

from decimal import Decimal

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from eligibility.console.sources import LOCAL_SETTING, documents, parameter_sources
from eligibility.fact_labels import STAFF_FACT_LABELS
from eligibility.facts import FACT_FIELDS, EmploymentForm, FactType, Group
from eligibility.history import today as policy_today
from eligibility.models import Programme
from eligibility.parameter_types import CODE_SETS, ParameterType, ParameterUnit
from eligibility.reference_cases import DATE_FACTS, expected_on
from eligibility.results import Status
from eligibility.services import proposal_date_window

OTHER_DOCUMENT = "other"

# What follows a number in the field of a value: "24 个月", "1000.00 元".
UNIT_SUFFIX = {
    ParameterUnit.MONTHS: pgettext_lazy("unit after a number", "months"),
    ParameterUnit.YEARS: pgettext_lazy("unit after a number", "years"),
    ParameterUnit.AGE: pgettext_lazy("unit after a number", "years of age"),
    ParameterUnit.DAYS: pgettext_lazy("unit after a number", "days"),
    ParameterUnit.WORKING_DAYS: pgettext_lazy("unit after a number", "working days"),
    ParameterUnit.CNY: pgettext_lazy("unit after a number", "yuan"),
}
VALUE_HINTS = {
    ParameterType.INT: _("A whole number."),
    ParameterType.MONEY: _("An amount in yuan with at most two decimal places, for example 1000.00."),
    ParameterType.RATE: _("A share from 0 to 1: 0.50 is half."),
    ParameterType.DECIMAL: _("A number, for example 1.50."),
    ParameterType.DATE: _("A date."),
    ParameterType.CODE_LIST: _("Tick every one that applies."),
}


def _date_input(first, last) -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", "min": first.isoformat(), "max": last.isoformat()})


class ProposalForm(forms.Form):
    """A new value of one parameter from a date, with the policy reference and the reason."""

    valid_from = forms.DateField(label=_("Applies from"))
    reference_document = forms.ChoiceField(label=_("Policy document"))
    reference_other = forms.CharField(label=_("Title of the other document"), required=False, max_length=300)
    reference_clause = forms.CharField(
        label=_("Clause"),
        required=False,
        max_length=100,
        help_text=_("As the document numbers it, for example Seventh or 2.(2)."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("The approver and the change history read it."),
    )

    def __init__(self, *args, parameter, current_value=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.parameter = parameter
        first, last = proposal_date_window()
        self.fields["valid_from"].widget = _date_input(first, last)
        self.fields["valid_from"].help_text = _("From %(first)s to %(last)s (three years ahead).") % {
            "first": date_format(first, "DATE_FORMAT"),
            "last": date_format(last, "DATE_FORMAT"),
        }
        self.fields["value"] = self._value_field(parameter, current_value)
        self.order_fields(["value", "valid_from"])
        choices = [
            *documents(),
            (LOCAL_SETTING, str(_("A local setting of this portal, not national policy"))),
            (OTHER_DOCUMENT, str(_("Another document (give its title below)"))),
        ]
        self.fields["reference_document"].choices = choices
        if not self.is_bound:
            cited = parameter_sources(parameter)[0]
            known = {code for code, _label in choices}
            self.initial.setdefault("reference_document", cited.document if cited.document in known else OTHER_DOCUMENT)
            if cited.document not in known:
                self.initial.setdefault("reference_other", cited.document)
            self.initial.setdefault("reference_clause", cited.clause)

    @staticmethod
    def _value_field(parameter, current_value) -> forms.Field:
        label = _("New value")
        hint = VALUE_HINTS.get(parameter.type, "")
        if parameter.type == ParameterType.CODE_LIST:
            _known, allowed = CODE_SETS.get(parameter.code_set, (frozenset(), ()))
            labels = {**dict(Group.choices), **dict(EmploymentForm.choices)}
            return forms.MultipleChoiceField(
                label=label,
                choices=[(code, labels.get(code, code)) for code in allowed],
                widget=forms.CheckboxSelectMultiple,
                initial=list(current_value or []),
                help_text=hint,
            )
        if parameter.type == ParameterType.DATE:
            return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}), help_text=hint)
        suffix = UNIT_SUFFIX.get(parameter.unit)
        inputmode = "numeric" if parameter.type == ParameterType.INT else "decimal"
        field = forms.CharField(
            label=label,
            max_length=40,
            help_text=hint,
            initial=current_value,
            widget=forms.TextInput(attrs={"inputmode": inputmode, "autocomplete": "off"}),
        )
        field.unit = suffix  # shown after the field
        return field

    def clean(self):
        data = super().clean()
        document = data.get("reference_document")
        if document == OTHER_DOCUMENT:
            other = (data.get("reference_other") or "").strip()
            if not other:
                self.add_error("reference_other", _("Give the title of the document."))
            data["reference_document"] = other
        return data


class ApprovalForm(forms.Form):
    reference_changes_acknowledged = forms.BooleanField(
        label=_("I have read how the reference cases change and approve the change all the same."),
        required=False,
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)


class RejectionForm(forms.Form):
    note = forms.CharField(label=_("Why is it rejected?"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


# --- Reference cases --------------------------------------------------------------------------

_YES_NO = [("", _("not given")), ("yes", _("yes")), ("no", _("no"))]
_STATUS_CHOICES = [("", _("not checked")), *Status.choices]
FACT_PREFIX = "fact_"
EXPECTED_PREFIX = "expected_"
AMOUNT_PREFIX = "amount_"


class ReferenceCaseForm(forms.Form):
    """A person (one field per fact, labelled as staff read an application) and the result
    expected of each programme the case guards, as it is expected today (``expected_on``)."""

    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    active = forms.BooleanField(label=_("Re-run before each approval"), required=False, initial=True)

    def __init__(self, *args, case=None, **kwargs):
        super().__init__(*args, **kwargs)
        facts = dict(case.facts) if case else {}
        expected = expected_on(case, policy_today()) if case else {}
        if case is not None and not self.is_bound:
            self.initial.update({"name_zh": case.name_zh, "name_en": case.name_en, "active": case.active})
        for name, fact in FACT_FIELDS.items():
            field = self._fact_field(name, fact.type)
            field.label = STAFF_FACT_LABELS.get(name, fact.label)
            field.required = False
            self.fields[FACT_PREFIX + name] = field
            if not self.is_bound and name in facts:
                self.initial[FACT_PREFIX + name] = self._initial(fact.type, facts[name])
        self.programmes = list(Programme.objects.order_by("position", "slug"))
        for programme in self.programmes:
            outcome = expected.get(programme.slug)
            self.fields[EXPECTED_PREFIX + programme.slug] = forms.ChoiceField(
                label=_("Expected status"), choices=_STATUS_CHOICES, required=False
            )
            self.fields[AMOUNT_PREFIX + programme.slug] = forms.DecimalField(
                label=_("Expected amount (yuan)"), required=False, min_value=Decimal(0), decimal_places=2, max_digits=14
            )
            if not self.is_bound:
                self.initial[EXPECTED_PREFIX + programme.slug] = outcome.status if outcome else ""
                self.initial[AMOUNT_PREFIX + programme.slug] = outcome.amount if outcome else None

    @staticmethod
    def _fact_field(name: str, type_: str) -> forms.Field:
        if type_ == FactType.GROUPS:
            return forms.MultipleChoiceField(choices=Group.choices, widget=forms.CheckboxSelectMultiple)
        if type_ == FactType.EMPLOYMENT_FORM:
            return forms.ChoiceField(choices=[("", _("not given")), *EmploymentForm.choices])
        if type_ == FactType.BOOL:
            return forms.ChoiceField(choices=_YES_NO)
        if type_ == FactType.INT:
            return forms.IntegerField(min_value=0)
        if type_ == FactType.DECIMAL:
            return forms.DecimalField(min_value=Decimal(0), decimal_places=2, max_digits=14)
        if name in DATE_FACTS:
            return forms.CharField(
                max_length=20,
                help_text=_(
                    "A date (2024-03-01), or counted from the screening day: -24m is 24 months before, "
                    "-16y+1d is 16 years before and one day later."
                ),
            )
        return forms.CharField(max_length=6, help_text=_("The 6-digit region code, for example 330802."))

    @staticmethod
    def _initial(type_: str, value):
        if type_ == FactType.BOOL:
            return "yes" if value else "no"
        return value

    def fact_fields(self):
        return [self[FACT_PREFIX + name] for name in FACT_FIELDS]

    def programme_fields(self):
        return [
            (programme, self[EXPECTED_PREFIX + programme.slug], self[AMOUNT_PREFIX + programme.slug])
            for programme in self.programmes
        ]

    def facts(self) -> dict:
        """The facts entered, in the wire format (dates as written: absolute or relative)."""
        data = self.cleaned_data
        facts = {}
        for name, fact in FACT_FIELDS.items():
            value = data.get(FACT_PREFIX + name)
            if value in (None, "", []):
                continue
            if fact.type == FactType.BOOL:
                facts[name] = value == "yes"
            elif fact.type == FactType.GROUPS:
                facts[name] = list(value)
            elif fact.type == FactType.DECIMAL:
                facts[name] = f"{value:.2f}"
            else:
                facts[name] = value.strip() if isinstance(value, str) else value
        return facts

    def expected(self) -> dict:
        data = self.cleaned_data
        expected = {}
        for programme in self.programmes:
            status = data.get(EXPECTED_PREFIX + programme.slug)
            if not status:
                continue
            amount = data.get(AMOUNT_PREFIX + programme.slug)
            expected[programme.slug] = {"status": status, "amount": None if amount is None else f"{amount:.2f}"}
        return expected
