"""The questions of the screener, one per fact, and the form fields that ask them.

A question turns what a person typed into the fact's wire form (catalogue,
section 2, "Types on the wire") and back; ``eligibility.facts.parse_facts``
then checks it, so that the screener and the API accept the same answers.
"""

from datetime import date
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eligibility.facts import EmploymentForm, Group

YES = "yes"
NO = "no"
ELSEWHERE = "elsewhere"
EARLIEST_BIRTH_YEAR = 1900  # an earlier year is a typing error


class RadioChoices(forms.RadioSelect):
    """Radio buttons whose error-summary link points at the first option."""

    def id_for_label(self, id_, index=None):
        return super().id_for_label(id_, "0" if index is None else index)


class CheckboxChoices(forms.CheckboxSelectMultiple):
    def id_for_label(self, id_, index=None):
        return super().id_for_label(id_, "0" if index is None else index)


class Question:
    """Asks for one fact. ``field_name`` is the form field errors are shown on."""

    def __init__(self, fact: str, label, help_text=""):
        self.fact = fact
        self.label = label
        self.help_text = help_text

    @property
    def field_name(self) -> str:
        return self.fact

    @property
    def error_field(self) -> str:
        """The field on which errors of ``parse_facts`` about the fact are shown."""
        return self.field_name

    def fields(self) -> dict[str, forms.Field]:
        raise NotImplementedError

    def initial(self, value: object) -> dict[str, object]:
        """Form initial data for the stored wire ``value``."""
        return {self.field_name: value}

    def to_wire(self, cleaned: dict[str, object]) -> object:
        """The fact in its wire form from the form's cleaned data; ``None`` if not given."""
        return cleaned.get(self.field_name)

    def display(self, value: object) -> str:
        return str(value)


class DateQuestion(Question):
    """A date on or before today: a future birth, graduation or registration
    date is a typing error (the engine would only call it "not yet")."""

    def __init__(self, fact: str, label, help_text="", *, earliest_year: int | None = None, autocomplete: str = ""):
        super().__init__(fact, label, help_text)
        self.earliest_year = earliest_year
        self.autocomplete = autocomplete

    def fields(self):
        attrs = {"type": "date"}
        if self.autocomplete:
            attrs["autocomplete"] = self.autocomplete
        return {
            self.fact: forms.CharField(
                label=self.label,
                help_text=self.help_text or _("For example 2024-03-01 (year-month-day)."),
                widget=forms.TextInput(attrs=attrs),
                error_messages={"required": _("Enter the date.")},
            )
        }

    def to_wire(self, cleaned):
        text = (cleaned.get(self.fact) or "").strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return text  # parse_facts says what is wrong with it
        if day > timezone.localdate():
            raise ValidationError({self.fact: _("The date must be today or in the past.")})
        if self.earliest_year and day.year < self.earliest_year:
            raise ValidationError({self.fact: _("Check the year.")})
        return text


class YesNoQuestion(Question):
    def fields(self):
        return {
            self.fact: forms.ChoiceField(
                label=self.label,
                help_text=self.help_text,
                choices=[(YES, _("Yes")), (NO, _("No"))],
                widget=RadioChoices,
                error_messages={"required": _("Answer yes or no.")},
            )
        }

    def initial(self, value):
        return {self.fact: YES if value else NO}

    def to_wire(self, cleaned):
        answer = cleaned.get(self.fact)
        return None if not answer else answer == YES

    def display(self, value):
        return str(_("Yes") if value else _("No"))


class ChoiceQuestion(Question):
    def __init__(self, fact: str, label, choices, help_text=""):
        super().__init__(fact, label, help_text)
        self.choices = choices

    def fields(self):
        return {
            self.fact: forms.ChoiceField(
                label=self.label,
                help_text=self.help_text,
                choices=self.choices,
                widget=RadioChoices,
                error_messages={"required": _("Choose one answer.")},
            )
        }

    def display(self, value):
        return str(dict(self.choices).get(value, value))


class GroupsQuestion(Question):
    """Ticking none is an answer: the person belongs to no target group."""

    def __init__(self, label, choices, help_text=""):
        super().__init__("groups", label, help_text)
        self.choices = choices

    def fields(self):
        return {
            self.fact: forms.MultipleChoiceField(
                label=self.label,
                help_text=self.help_text,
                choices=self.choices,
                widget=CheckboxChoices,
                required=False,
            )
        }

    def to_wire(self, cleaned):
        return list(cleaned.get(self.fact) or [])

    def display(self, value):
        labels = dict(self.choices)
        return "; ".join(str(labels.get(code, code)) for code in value) or str(_("None of these"))


class WholeNumberQuestion(Question):
    def fields(self):
        return {
            self.fact: forms.CharField(
                label=self.label,
                help_text=self.help_text,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "input-short"}),
                error_messages={"required": _("Enter a number; enter 0 if none.")},
            )
        }

    def initial(self, value):
        return {self.fact: str(value)}

    def to_wire(self, cleaned):
        text = (cleaned.get(self.fact) or "").strip()
        try:
            return int(text)
        except ValueError:
            raise ValidationError({self.fact: _("Enter a whole number, for example 3.")}) from None


class AmountQuestion(Question):
    """An optional amount of yuan; thousands separators are allowed."""

    def fields(self):
        return {
            self.fact: forms.CharField(
                label=self.label,
                help_text=self.help_text,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "input-medium"}),
            )
        }

    def to_wire(self, cleaned):
        text = (cleaned.get(self.fact) or "").strip()
        for separator in (",", "，", " ", "¥", "￥", "元"):
            text = text.replace(separator, "")
        if not text:
            return None
        if text.startswith("-"):
            raise ValidationError({self.fact: _("The amount must not be negative.")})
        return text  # parse_facts checks that it is an amount

    def display(self, value):
        return str(_("%(amount)s yuan") % {"amount": f"{Decimal(str(value)):,.2f}"})


class RegionQuestion(Question):
    """The region served (setting ``LINGHUO_REGION_CODE``) or another one, by its code."""

    def __init__(self, label, help_text=""):
        super().__init__("region", label, help_text)

    @property
    def field_name(self) -> str:
        return "region_choice"

    def fields(self):
        served = settings.LINGHUO_REGION_CODE
        return {
            "region_choice": forms.ChoiceField(
                label=self.label,
                help_text=self.help_text,
                choices=[
                    (served, _("Quzhou, including its districts and counties")),
                    (ELSEWHERE, _("Somewhere else")),
                ],
                widget=RadioChoices,
                error_messages={"required": _("Choose where you live.")},
            ),
            "region_code": forms.CharField(
                label=_("If somewhere else: the 6-digit code of your region"),
                help_text=_("The administrative division code, for example 330100."),
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "input-short", "maxlength": 6}),
            ),
        }

    def initial(self, value):
        if value == settings.LINGHUO_REGION_CODE:
            return {"region_choice": value}
        return {"region_choice": ELSEWHERE, "region_code": value}

    def to_wire(self, cleaned):
        choice = cleaned.get("region_choice")
        if choice != ELSEWHERE:
            return choice
        code = (cleaned.get("region_code") or "").strip()
        if not code:
            raise ValidationError({"region_code": _("Enter the code of your region, or choose Quzhou.")})
        return code

    @property
    def error_field(self) -> str:
        return "region_code"  # the chosen region is always valid; a typed code may not be

    def display(self, value):
        if value == settings.LINGHUO_REGION_CODE:
            return str(_("Quzhou"))
        return str(_("Somewhere else (region %(code)s)") % {"code": value})


GROUP_CHOICES = [
    (Group.COLLEGE_GRADUATE, _("I graduated from a college or university (including vocational colleges)")),
    (Group.REGISTERED_UNEMPLOYED, _("I am registered as unemployed")),
    (Group.LAID_OFF, _("I was laid off")),
    (Group.EMPLOYMENT_DIFFICULTY, _("I am certified as a person with difficulties finding work")),
    (Group.MIGRANT_WORKER, _("I am a migrant worker from the countryside")),
    (Group.DISABLED, _("I have a disability")),
    (Group.VETERAN, _("I am a veteran")),
    (Group.LOW_INCOME_HOUSEHOLD, _("I live in a low-income household")),
]

EMPLOYMENT_FORM_CHOICES = [
    (EmploymentForm.PART_TIME, _("I work part-time")),
    (EmploymentForm.PLATFORM, _("I work through an app or platform (delivery, ride-hailing and similar)")),
    (EmploymentForm.SELF_EMPLOYED, _("I work for myself or run my own business")),
    (EmploymentForm.EMPLOYEE, _("I am employed under a labour contract")),
    (EmploymentForm.UNEMPLOYED, _("I have no work at present")),
    (EmploymentForm.OTHER, _("Other")),
]

QUESTIONS: dict[str, Question] = {
    question.fact: question
    for question in (
        RegionQuestion(_("Where do you live?")),
        DateQuestion(
            "birth_date", _("What is your date of birth?"), earliest_year=EARLIEST_BIRTH_YEAR, autocomplete="bday"
        ),
        GroupsQuestion(
            _("Does any of these describe you?"),
            GROUP_CHOICES,
            _("Tick all that apply. Leave all unticked if none does."),
        ),
        DateQuestion("graduation_date", _("When did you graduate?"), _("The date on your graduation certificate.")),
        YesNoQuestion(
            "employed_since_graduation",
            _("Since graduating, have you had a job under a labour contract?"),
            _("Part-time, platform work and working for yourself do not count."),
        ),
        ChoiceQuestion("employment_form", _("How do you work now?"), EMPLOYMENT_FORM_CHOICES),
        YesNoQuestion("plans_business", _("Do you intend to start a business?")),
        DateQuestion(
            "business_registered_on",
            _("When was your business registered?"),
            _("The date on your business licence (individual business or small firm)."),
        ),
        AmountQuestion(
            "requested_loan_amount",
            _("How much would you like to borrow for your business? (optional)"),
            _("In yuan. Leave empty to see the most you can borrow."),
        ),
        YesNoQuestion(
            "pays_flexible_pension",
            _("Do you pay basic pension insurance yourself, as a flexibly employed person?"),
        ),
        YesNoQuestion(
            "pays_flexible_medical",
            _("Do you pay basic medical insurance yourself, as a flexibly employed person?"),
        ),
        YesNoQuestion("hardship_declared", _("Do you have real difficulty paying your pension insurance premiums?")),
        WholeNumberQuestion(
            "public_service_post_months",
            _("How many months have you worked in a short-term public-service post?"),
            _("Enter 0 if you have not."),
        ),
        YesNoQuestion(
            "training_certificate",
            _("Have you completed a subsidised vocational training course and received a certificate?"),
        ),
    )
}
