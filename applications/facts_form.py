"""The "your situation" step: the facts the chosen programme's rules need for this person.

Nothing here lists questions by hand. The questions, their wording and choices
come from the one registry the screener uses (``eligibility.screener.questions``);
which of them are asked comes from the programme's rules
(``eligibility.relevance``): question by question, in catalogue order, a fact
is asked when its answer can still change the programme's status or amount
given the answers before it. So the graduation questions appear only for a
graduate, the registration date only for a registered business.

The form reacts to answers on the server: when an answer opens new questions
(ticking "college graduate"), the page comes back with them, filled in from the
screening where it can, and a message asking to answer them. Answers to
questions that no longer apply are removed when the step is saved, and the
check-your-answers page does not show them. Answers are kept in their wire
form (catalogue, section 2).
"""

from collections.abc import Mapping
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from eligibility.engine import ask_in_order
from eligibility.facts import FACT_FIELDS, FactsInvalid, FactType, code_label, parse_facts
from eligibility.regions import region_name
from eligibility.screener.forms import answers_of
from eligibility.screener.questions import Question, application_question
from eligibility.wording import is_chinese

# Asked with the personal details (the birth date must match the identity number).
ASKED_ELSEWHERE = ("birth_date",)
# Always asked: the district decides which office handles the application.
ALWAYS_ASKED = ("region",)
SHOWN_FIELD = "asked_facts"  # which questions the page showed, to tell new ones from unanswered ones

QUESTION_ORDER = tuple(name for name in FACT_FIELDS if name not in ASKED_ELSEWHERE)


def _stored_values(facts: Mapping[str, object]) -> dict[str, object]:
    """The stored answers as fact values; one that no longer reads is dropped."""
    values = {}
    for name, value in facts.items():
        if name not in FACT_FIELDS or value is None:
            continue
        try:
            values[name] = parse_facts({name: value}).get(name)
        except FactsInvalid:
            continue
    return values


def asked_facts(programme_slug: str, values: Mapping[str, object], *, today: date | None = None) -> list[str]:
    """The situation questions asked of this person for this programme, in order, given
    the answers ``values`` (fact values)."""
    today = today or timezone.localdate()
    given = {name: values.get(name) for name in (*ASKED_ELSEWHERE, *ALWAYS_ASKED)}
    rest = [name for name in QUESTION_ORDER if name not in ALWAYS_ASKED]
    groups = ask_in_order([(name,) for name in rest], values, today, slug=programme_slug, given=given)
    return [*ALWAYS_ASKED, *(name for group in groups for name in group)]


def _posted_value(question: Question, data) -> object | None:
    """The fact value of what was posted for ``question``; None when missing or not valid."""
    cleaned = {}
    try:
        for name, field in question.fields().items():
            widget_value = field.widget.value_from_datadict(data, {}, name)
            cleaned[name] = field.clean(widget_value)
        wire = question.to_wire(cleaned)
    except ValidationError:
        return None
    if wire is None:
        return None
    try:
        return parse_facts({question.fact: wire}).get(question.fact)
    except FactsInvalid:
        return None


class SituationForm(forms.Form):
    def __init__(self, data=None, *, programme, initial_facts: dict, **kwargs):
        self.programme = programme
        stored = _stored_values(initial_facts)
        shown_before: set[str] = set()
        values = dict(stored)
        if data is not None:
            # A client that does not send the list (not our page) is taken to have seen every question.
            shown = data.get(SHOWN_FIELD)
            shown_before = set(filter(None, shown.split(","))) if shown is not None else set(QUESTION_ORDER)
            for name in shown_before & set(QUESTION_ORDER):
                values[name] = _posted_value(application_question(name), data)
        self.names = asked_facts(programme.slug, values)
        self.questions = [application_question(name) for name in self.names]
        initial = {}
        for question in self.questions:
            if question.fact in initial_facts and initial_facts[question.fact] is not None:
                initial.update(question.initial(initial_facts[question.fact]))
        # Questions the answers just opened: shown filled in from what we know, and asked to be checked.
        self.new_questions = [] if data is None else [q for q in self.questions if q.fact not in shown_before]
        if data is not None and self.new_questions:
            data = data.copy()
            for question in self.new_questions:
                for name in question.fields():
                    if name in initial and name not in data:
                        value = initial[name]
                        if isinstance(value, list) and hasattr(data, "setlist"):
                            data.setlist(name, value)
                        else:
                            data[name] = value
        super().__init__(data, initial={**initial, SHOWN_FIELD: ",".join(self.names)}, **kwargs)
        self.fields[SHOWN_FIELD] = forms.CharField(widget=forms.HiddenInput, required=False)
        for question in self.questions:
            self.fields.update(question.fields())
        self._facts: dict[str, object] = {}

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        if self.new_questions:
            for question in self.new_questions:
                self._errors.pop(question.field_name, None)
            self.add_error(None, _("Your answers bring new questions. Answer them below, then continue."))
        # If the page is shown again, it lists the questions it now shows.
        self.data = self.data.copy()
        self.data[SHOWN_FIELD] = ",".join(self.names)

    def clean(self):
        cleaned = super().clean()
        self._facts = answers_of(self, self.questions, cleaned)
        return cleaned

    def facts(self) -> dict:
        """The answers in wire form. Every other situation fact is ``None``: an answer
        to a question that no longer applies is removed, not used."""
        facts: dict[str, object] = dict.fromkeys(QUESTION_ORDER)
        facts.update(self._facts)
        return facts


def describe_facts(facts: dict, programme_slug: str | None = None) -> list[tuple[str, str, str]]:
    """(fact name, question, answer in words) for the check-your-answers page: with
    ``programme_slug``, only the answers that programme's rules use for this person."""
    values = _stored_values(facts)
    if programme_slug is None:
        names = [name for name in QUESTION_ORDER if name in values]
    else:
        names = [name for name in asked_facts(programme_slug, values) if name in values]
    rows = []
    for name in names:
        value = facts[name]
        field_type = FACT_FIELDS[name].type
        if isinstance(value, bool):
            shown = application_question(name).display(value)
        elif isinstance(value, list):
            separator = "、" if is_chinese() else ", "
            shown = separator.join(code_label(code) for code in value) or str(_("None of these"))
        elif field_type == FactType.DATE:
            shown = date_format(date.fromisoformat(value), "DATE_FORMAT")
        elif field_type == FactType.EMPLOYMENT_FORM:
            shown = code_label(value)
        elif field_type == FactType.REGION:
            shown = region_name(value)
        else:
            shown = application_question(name).display(value)
        rows.append((name, str(application_question(name).label), shown))
    return rows
