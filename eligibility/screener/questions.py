"""The questions about a person, one per fact, and the form fields that ask them.

This is the one registry of wording: the screener and the application form
(``applications.facts_form``) ask each fact in the same words, with the same
choices and help. Which questions are asked is not decided here but by the
rules (``eligibility.relevance``).

A question turns what a person typed into the fact's wire form (catalogue,
section 2, "Types on the wire") and back; ``eligibility.facts.parse_facts``
then checks it, so that the screener, the form and the API accept the same answers.
"""

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from eligibility.facts import EmploymentForm, Group, future_date_error
from eligibility.regions import OUTSIDE_SERVED_REGION, region_name, served_districts, served_region_name

YES = "yes"
NO = "no"
# The application form has always sent the wire words; both are understood.
YES_NO_ALIASES = {"true": YES, "false": NO}
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
        future = future_date_error(self.fact, day)
        if future:
            raise ValidationError({self.fact: future})
        if self.earliest_year and day.year < self.earliest_year:
            raise ValidationError({self.fact: _("Check the year.")})
        return text


class YesNoField(forms.ChoiceField):
    def to_python(self, value):
        value = super().to_python(value)
        return YES_NO_ALIASES.get(value, value)


class YesNoQuestion(Question):
    def __init__(self, fact: str, label, help_text="", *, yes_label=None, no_label=None):
        super().__init__(fact, label, help_text)
        self.yes_label = yes_label or _("Yes")
        self.no_label = no_label or _("No")

    def fields(self):
        return {
            self.fact: YesNoField(
                label=self.label,
                help_text=self.help_text,
                choices=[(YES, self.yes_label), (NO, self.no_label)],
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
        return str(self.yes_label if value else self.no_label)


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
    """The district or county of the region served (setting ``LINGHUO_REGION_CODE``),
    by name. The screener also offers "outside" it, which decides every programme;
    the application form (``served_only``) offers only the districts served, so that
    no application can be placed in another region."""

    def __init__(self, label, help_text="", *, served_only: bool = False):
        super().__init__("region", label, help_text)
        self.served_only = served_only

    def choices(self) -> list[tuple[str, str]]:
        choices = served_districts()
        if not self.served_only:
            choices.append((OUTSIDE_SERVED_REGION, str(_("Outside %(city)s") % {"city": served_region_name()})))
        return choices

    def fields(self):
        return {
            self.fact: forms.ChoiceField(
                label=self.label,
                help_text=self.help_text,
                choices=self.choices(),
                widget=RadioChoices,
                required=not self.served_only,
                error_messages={
                    "required": _("Choose where you live."),
                    "invalid_choice": _("Choose one of the districts and counties listed."),
                },
            )
        }

    def initial(self, value):
        offered = {code for code, _name in self.choices()}
        return {self.fact: value} if value in offered else {}

    def to_wire(self, cleaned):
        return cleaned.get(self.fact) or None

    def display(self, value):
        return region_name(value)

    def for_application(self) -> "RegionQuestion":
        return RegionQuestion(
            self.label,
            _("Your application is handled by the office of the district or county you choose."),
            served_only=True,
        )


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

# One question per fact (catalogue, section 2), in the order the facts are listed there.
QUESTIONS: dict[str, Question] = {
    question.fact: question
    for question in (
        RegionQuestion(_("Where do you live?"), _("Choose your district or county.")),
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
        YesNoQuestion(
            "business_registered",
            _("Is your business registered (do you have a business licence)?"),
            _("An individual business or a small firm registered with the market regulation office."),
            yes_label=_("Yes, it is registered"),
            no_label=_("Not yet registered"),
        ),
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
        WholeNumberQuestion(
            "training_days",
            _("How many days did you attend the subsidised training course?"),
            _("The days on your attendance record. Enter 0 if none."),
        ),
        YesNoQuestion(
            "works_in_construction",
            _("Do you work on engineering-construction projects?"),
            _("Building sites, roads, bridges, water works and similar projects."),
        ),
        YesNoQuestion(
            "rents_state_owned_premises",
            _("Does your business rent premises owned by the state?"),
            _("State-owned real estate, for example premises of a state-owned company or a public body."),
        ),
    )
}


def application_question(fact: str) -> Question:
    """The question of the application form for ``fact``: the same as the screener's,
    except that the region is one of the districts served."""
    question = QUESTIONS[fact]
    return question.for_application() if isinstance(question, RegionQuestion) else question
