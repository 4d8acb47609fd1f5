from django import forms
from django.core.exceptions import ValidationError

from eligibility.facts import FactsInvalid, parse_facts
from eligibility.screener.questions import Question


class StepForm(forms.Form):
    """The questions of one step. ``answers`` (wire form, by fact) is set once the
    form is valid; the facts are checked by ``parse_facts``, as in the API."""

    def __init__(self, *args, questions: list[Question], answers: dict[str, object] | None = None, **kwargs):
        self.questions = questions
        initial = {}
        for question in questions:
            value = (answers or {}).get(question.fact)
            if value is not None:
                initial.update(question.initial(value))
        super().__init__(*args, initial=initial, **kwargs)
        for question in questions:
            self.fields.update(question.fields())
        self.answers: dict[str, object] = {}

    def clean(self):
        cleaned = super().clean()
        self.answers = answers_of(self, self.questions, cleaned)
        return cleaned


def answers_of(form: forms.Form, questions: list[Question], cleaned: dict) -> dict[str, object]:
    """The answers to ``questions`` in wire form, checked by ``parse_facts`` as in
    the API; what cannot be read is shown at its field and left out."""
    answers: dict[str, object] = {}
    for question in questions:
        if question.field_name in form.errors:
            continue
        try:
            answers[question.fact] = question.to_wire(cleaned)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field, messages)
    try:
        parse_facts({fact: value for fact, value in answers.items() if value is not None})
    except FactsInvalid as invalid:
        by_fact = {question.fact: question for question in questions}
        for fact, messages in invalid.errors.items():
            form.add_error(by_fact[fact].error_field if fact in by_fact else None, messages)
            answers.pop(fact, None)
    return answers
