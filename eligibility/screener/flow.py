"""The order of the screener's steps, and which questions can still change an outcome.

A question is asked only when its answer can still change a programme's
status or amount, given the answers to the steps before it (catalogue,
section 4): the graduation date only of graduates, the registration date of a
business only of the self-employed, and nothing more once the person lives
outside the region served or is outside working age. Answers to questions that
no longer apply (after going back and changing an earlier answer) are kept but
not used.

Conditions are three-valued like the rules: ``None`` when the answer they
depend on is not known yet; such a step counts in "Step 2 of N" until it is
known to be skipped.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from eligibility.dates import age_on
from eligibility.facts import EmploymentForm, Facts, FactsInvalid, Group, parse_facts
from eligibility.parameter_set import ParameterSet
from eligibility.screener.questions import QUESTIONS, Question


class Situation:
    """What the answers so far say, for deciding what to ask next."""

    def __init__(self, facts: Facts, parameters: ParameterSet, today: date):
        self.facts = facts
        self.parameters = parameters
        self.today = today

    def in_group(self, code: str) -> bool | None:
        groups = self.facts.get("groups")
        return None if groups is None else code in groups

    def works_as(self, form: str) -> bool | None:
        current = self.facts.get("employment_form")
        return None if current is None else current == form

    def works_flexibly(self) -> bool | None:
        current = self.facts.get("employment_form")
        return None if current is None else current in self.parameters.value("common.flexible_forms")

    def answered(self, fact: str) -> bool | None:
        return self.facts.get(fact)

    def outcome_open(self) -> bool | None:
        """False when every programme is already decided against: the person lives
        outside the region served, or is outside working age on ``today``."""
        region = self.facts.get("region")
        if region is not None and region != settings.LINGHUO_REGION_CODE:
            return False
        birth_date = self.facts.get("birth_date")
        if birth_date is None:
            return None
        age = age_on(birth_date, self.today) if birth_date <= self.today else 0
        minimum = self.parameters.value("common.working_age_min")
        limit = self.parameters.value("common.retirement_age")
        return minimum <= age < limit


Condition = Callable[[Situation], bool | None]


def _always(situation: Situation) -> bool:
    return True


def any_of(*values: bool | None) -> bool | None:
    if any(value is True for value in values):
        return True
    return False if all(value is False for value in values) else None


def all_of(*values: bool | None) -> bool | None:
    if any(value is False for value in values):
        return False
    return True if all(value is True for value in values) else None


def not_(value: bool | None) -> bool | None:
    return None if value is None else not value


# Which facts can still change an outcome (catalogue, section 4).
CONDITIONS: dict[str, Condition] = {
    # Only graduates' target group depends on the graduation date and later employment.
    "graduation_date": lambda s: s.in_group(Group.COLLEGE_GRADUATE),
    "employed_since_graduation": lambda s: s.in_group(Group.COLLEGE_GRADUATE),
    # Being self-employed already meets "self-employed OR plans a business".
    "plans_business": lambda s: not_(s.works_as(EmploymentForm.SELF_EMPLOYED)),
    "business_registered_on": lambda s: s.works_as(EmploymentForm.SELF_EMPLOYED),
    "requested_loan_amount": lambda s: any_of(s.works_as(EmploymentForm.SELF_EMPLOYED), s.answered("plans_business")),
    # Insurance matters to the social insurance subsidy and pension suspension, both for flexible work.
    "pays_flexible_pension": lambda s: s.works_flexibly(),
    "pays_flexible_medical": lambda s: s.works_flexibly(),
    "hardship_declared": lambda s: all_of(s.works_flexibly(), s.answered("pays_flexible_pension")),
    "public_service_post_months": lambda s: s.in_group(Group.EMPLOYMENT_DIFFICULTY),
    "training_certificate": lambda s: any_of(s.in_group(Group.REGISTERED_UNEMPLOYED), s.works_flexibly()),
}


@dataclass(frozen=True)
class Step:
    slug: str
    title: Promise
    facts: tuple[str, ...]
    gated: bool = True  # skipped once ``outcome_open`` is False

    @property
    def questions(self) -> list[Question]:
        return [QUESTIONS[fact] for fact in self.facts]


STEPS: tuple[Step, ...] = (
    Step("about-you", _("About you"), ("region", "birth_date"), gated=False),
    Step("groups", _("Your situation"), ("groups",)),
    Step("graduation", _("Your studies"), ("graduation_date", "employed_since_graduation")),
    Step("employment", _("Your work"), ("employment_form",)),
    Step("business-plans", _("Starting a business"), ("plans_business",)),
    Step("business", _("Your business"), ("business_registered_on", "requested_loan_amount")),
    Step("insurance", _("Your social insurance"), ("pays_flexible_pension", "pays_flexible_medical")),
    Step(
        "other-support",
        _("Other support"),
        ("hardship_declared", "public_service_post_months", "training_certificate"),
    ),
)
STEP_OF_FACT = {fact: step for step in STEPS for fact in step.facts}


def _parse_one(fact: str, value: object) -> object | None:
    # Stored answers were checked when given; one that no longer parses is dropped.
    try:
        return parse_facts({fact: value}).get(fact)
    except FactsInvalid:
        return None


@dataclass(frozen=True)
class PlannedStep:
    step: Step
    questions: list[Question]  # the questions that apply (or may apply)


class ScreeningFlow:
    """The steps a person goes through, given their answers (wire form, by fact)."""

    def __init__(self, answers: dict[str, object], *, today: date | None = None):
        self.answers = {fact: value for fact, value in answers.items() if fact in QUESTIONS}
        self.today = today or timezone.localdate()
        self.parameters = ParameterSet.in_force(self.today)
        self._plan, self._facts = self._walk()

    def _walk(self) -> tuple[list[PlannedStep], dict[str, object]]:
        known: dict[str, object] = {}
        plan: list[PlannedStep] = []
        for step in STEPS:
            situation = Situation(Facts(known), self.parameters, self.today)
            if step.gated and situation.outcome_open() is False:
                continue
            asked = [
                question
                for question in step.questions
                if CONDITIONS.get(question.fact, _always)(situation) is not False
            ]
            if not asked:
                continue
            plan.append(PlannedStep(step, asked))
            for question in asked:
                value = _parse_one(question.fact, self.answers.get(question.fact))
                if value is not None:
                    known[question.fact] = value
        return plan, known

    @property
    def plan(self) -> list[PlannedStep]:
        return self._plan

    def facts(self) -> Facts:
        """The facts to screen with: answers to the questions that apply."""
        return Facts(self._facts)

    def wire_facts(self) -> dict[str, object]:
        return self.facts().to_json()

    def planned(self, slug: str) -> PlannedStep | None:
        return next((planned for planned in self._plan if planned.step.slug == slug), None)

    def position(self, slug: str) -> int:
        return next(index for index, planned in enumerate(self._plan, 1) if planned.step.slug == slug)

    def previous(self, slug: str) -> PlannedStep | None:
        index = self.position(slug) - 1
        return self._plan[index - 1] if index > 0 else None

    def following(self, slug: str) -> PlannedStep | None:
        """The next step that applies after ``slug`` (which need not apply itself)."""
        order = [step.slug for step in STEPS]
        after = order.index(slug)
        return next((planned for planned in self._plan if order.index(planned.step.slug) > after), None)

    def first_unanswered(self) -> PlannedStep | None:
        for planned in self._plan:
            if any(not self.is_answered(question) for question in planned.questions):
                return planned
        return None

    def is_answered(self, question: Question) -> bool:
        # An optional question left empty (the loan amount) counts as answered once its step was saved.
        return question.fact in self.answers

    def with_answers(self, step: Step, answers: dict[str, object]) -> dict[str, object]:
        """All answers, with those of ``step`` replaced by ``answers`` (``None``: left empty)."""
        merged = {fact: value for fact, value in self.answers.items() if fact not in step.facts}
        merged.update(answers)
        return merged


def step_by_slug(slug: str) -> Step | None:
    return next((step for step in STEPS if step.slug == slug), None)
