"""The order of the screener's steps, and which questions each step asks.

The steps group questions into pages; which questions a step asks is
decided by the rules (``eligibility.relevance``): exactly the facts whose
answer can still change a programme's status or amount, given the answers to
the steps before it. So the graduation date is asked only of graduates, the
registration date only of a registered business, and nothing more once the
person lives outside the region served or is outside working age. A step with
nothing to ask is skipped. Answers to questions that no longer apply (after
going back and changing an earlier answer) are kept but not used.

A step after the first unanswered one counts in "Step 2 of N" while the
answers before it could still make it ask something.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from eligibility.facts import Facts, FactsInvalid, parse_facts
from eligibility.parameter_cache import parameters_in_force
from eligibility.relevance import RelevanceMemo, ask_in_order
from eligibility.screener.questions import QUESTIONS, Question


@dataclass(frozen=True)
class Step:
    slug: str
    title: Promise
    facts: tuple[str, ...]

    @property
    def questions(self) -> list[Question]:
        return [QUESTIONS[fact] for fact in self.facts]


STEPS: tuple[Step, ...] = (
    Step("about-you", _("About you"), ("region", "birth_date")),
    Step("groups", _("Your situation"), ("groups",)),
    Step("graduation", _("Your studies"), ("graduation_date", "employed_since_graduation")),
    Step("employment", _("Your work"), ("employment_form", "works_in_construction")),
    Step("business-plans", _("Starting a business"), ("plans_business",)),
    # Asked before the date: a business not registered yet has no registration date.
    Step("business-licence", _("Your business licence"), ("business_registered",)),
    Step(
        "business",
        _("Your business"),
        ("business_registered_on", "requested_loan_amount", "rents_state_owned_premises"),
    ),
    Step("insurance", _("Your social insurance"), ("pays_flexible_pension", "pays_flexible_medical")),
    Step(
        "other-support",
        _("Other support"),
        ("hardship_declared", "public_service_post_months", "training_certificate", "training_days"),
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

    def __init__(self, answers: dict[str, object], *, today: date | None = None, memo: RelevanceMemo | None = None):
        self.answers = {fact: value for fact, value in answers.items() if fact in QUESTIONS}
        self.today = today or timezone.localdate()
        self.parameters = parameters_in_force(self.today)
        # Shared by the flows of one request (a step makes two): relevance found once.
        self.memo = memo or RelevanceMemo()
        self._plan, self._facts = self._walk()

    def _walk(self) -> tuple[list[PlannedStep], dict[str, object]]:
        values = {fact: _parse_one(fact, value) for fact, value in self.answers.items()}
        asked = ask_in_order(
            [step.facts for step in STEPS], values, self.today, parameters=self.parameters, memo=self.memo
        )
        plan: list[PlannedStep] = []
        known: dict[str, object] = {}
        for step, facts in zip(STEPS, asked, strict=True):
            if not facts:
                continue
            plan.append(PlannedStep(step, [QUESTIONS[fact] for fact in facts]))
            known.update({fact: values[fact] for fact in facts if values.get(fact) is not None})
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
