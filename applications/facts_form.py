"""The "your situation" step: the eligibility facts a programme's rules read.

Which facts a programme needs is not listed by hand: it is what the engine
reports missing for that programme when it knows nothing (so a rule change
changes the form). Answers are kept in their wire form (catalogue section 2).
"""

from datetime import date
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from eligibility.engine import evaluate
from eligibility.facts import FACT_FIELDS, EmploymentForm, FactType, Group, code_label, parse_facts
from eligibility.parameter_set import ParameterSet
from eligibility.wording import is_chinese

# Facts asked elsewhere in the application (birth date with the personal
# details) or set by the deployment (region).
ASKED_ELSEWHERE = {"birth_date", "region"}
# Facts that change the amount rather than the outcome, per programme.
AMOUNT_FACTS = {"startup-loan": ["requested_loan_amount"]}
# Asked only when another answer makes them matter.
CONDITIONS = {
    "graduation_date": ("groups", Group.COLLEGE_GRADUATE),
    "employed_since_graduation": ("groups", Group.COLLEGE_GRADUATE),
    "business_registered_on": ("employment_form", EmploymentForm.SELF_EMPLOYED),
}

YES_NO = [("true", _("Yes")), ("false", _("No"))]

QUESTIONS = {
    "groups": (_("Do any of these describe you?"), _("Tick all that apply. Leave all empty if none does.")),
    "graduation_date": (_("When did you graduate?"), _("The date on your graduation certificate.")),
    "employed_since_graduation": (
        _("Have you worked under a labour contract since you graduated?"),
        _("Formal employment with a contract, not part-time or platform work."),
    ),
    "employment_form": (_("How do you work now?"), ""),
    "plans_business": (_("Do you intend to start a business?"), ""),
    "business_registered_on": (
        _("When was your business registered?"),
        _("The date on your business licence."),
    ),
    "pays_flexible_pension": (
        _("Do you pay basic pension insurance yourself, as a flexibly employed person?"),
        "",
    ),
    "pays_flexible_medical": (
        _("Do you pay basic medical insurance yourself, as a flexibly employed person?"),
        "",
    ),
    "public_service_post_months": (
        _("How many months have you worked in a short-term public-service post?"),
        _("Enter 0 if none."),
    ),
    "training_certificate": (
        _("Have you completed a subsidised vocational training course and received its certificate?"),
        "",
    ),
    "hardship_declared": (_("Do you have real difficulty paying your pension premiums?"), ""),
    "requested_loan_amount": (
        _("How much do you want to borrow (yuan)?"),
        _("Leave empty to see the most you can ask for."),
    ),
}


def facts_for_programme(slug: str) -> list[str]:
    today = timezone.localdate()
    results = evaluate(parse_facts({}), today, parameters=ParameterSet.in_force(today))
    result = next(r for r in results if r.programme_slug == slug)
    names = [name for name in result.missing_facts if name not in ASKED_ELSEWHERE]
    return [name for name in FACT_FIELDS if name in {*names, *AMOUNT_FACTS.get(slug, [])}]


def _field_for(name: str) -> forms.Field:
    label, help_text = QUESTIONS[name]
    fact_type = FACT_FIELDS[name].type
    required = name not in CONDITIONS and name != "requested_loan_amount"
    if fact_type == FactType.DATE:
        return forms.DateField(
            label=label, help_text=help_text, required=required, widget=forms.DateInput(attrs={"type": "date"})
        )
    if fact_type == FactType.GROUPS:
        return forms.MultipleChoiceField(
            label=label,
            help_text=help_text,
            required=False,
            choices=Group.choices,
            widget=forms.CheckboxSelectMultiple,
        )
    if fact_type == FactType.EMPLOYMENT_FORM:
        return forms.ChoiceField(
            label=label, help_text=help_text, choices=EmploymentForm.choices, widget=forms.RadioSelect
        )
    if fact_type == FactType.BOOL:
        return forms.ChoiceField(
            label=label, help_text=help_text, required=required, choices=YES_NO, widget=forms.RadioSelect
        )
    if fact_type == FactType.INT:
        return forms.IntegerField(label=label, help_text=help_text, required=required, min_value=0, max_value=600)
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        required=required,
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
    )


class SituationForm(forms.Form):
    def __init__(self, *args, programme, initial_facts: dict, **kwargs):
        self.names = facts_for_programme(programme.slug)
        initial = {name: _initial(initial_facts.get(name)) for name in self.names if name in initial_facts}
        super().__init__(*args, initial=initial, **kwargs)
        for name in self.names:
            self.fields[name] = _field_for(name)

    def clean(self):
        cleaned = super().clean()
        for name, (depends_on, value) in CONDITIONS.items():
            if name not in self.fields:
                continue
            applies = _applies(cleaned.get(depends_on), value)
            if applies and cleaned.get(name) in (None, ""):
                self.add_error(name, _("Answer this question."))
            if (
                applies
                and name.endswith(("_date", "_on"))
                and cleaned.get(name)
                and cleaned[name] > timezone.localdate()
            ):
                self.add_error(name, _("The date cannot be in the future."))
        return cleaned

    def facts(self) -> dict:
        """The answers in wire form; a question that does not apply is removed (None)."""
        facts: dict = {}
        for name in self.names:
            value = self.cleaned_data.get(name)
            if name in CONDITIONS:
                depends_on, expected = CONDITIONS[name]
                if not _applies(self.cleaned_data.get(depends_on), expected):
                    value = None
            facts[name] = _wire(value)
        return facts


def _applies(answer, expected) -> bool:
    if isinstance(answer, list | tuple | set):
        return expected in answer
    return answer == expected


def _initial(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _wire(value):
    if value in (None, ""):
        return None
    if value in ("true", "false"):
        return value == "true"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def describe_facts(facts: dict) -> list[tuple[str, str, str]]:
    """(fact name, question, answer in words) for the check-your-answers page."""
    rows = []
    for name, field in FACT_FIELDS.items():
        if name not in facts or name in ASKED_ELSEWHERE:
            continue
        value = facts[name]
        if isinstance(value, bool):
            shown = str(_("Yes") if value else _("No"))
        elif isinstance(value, list):
            separator = "、" if is_chinese() else ", "
            shown = separator.join(code_label(code) for code in value) or str(_("None of these"))
        elif field.type == FactType.DATE:
            shown = date_format(date.fromisoformat(value), "DATE_FORMAT")
        elif field.type == FactType.EMPLOYMENT_FORM:
            shown = code_label(value)
        else:
            shown = str(value)
        rows.append((name, str(QUESTIONS[name][0]) if name in QUESTIONS else str(field.label), shown))
    return rows
