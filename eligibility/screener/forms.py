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
        answers: dict[str, object] = {}
        for question in self.questions:
            if question.field_name in self.errors:
                continue
            try:
                answers[question.fact] = question.to_wire(cleaned)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        try:
            parse_facts({fact: value for fact, value in answers.items() if value is not None})
        except FactsInvalid as invalid:
            by_fact = {question.fact: question for question in self.questions}
            for fact, messages in invalid.errors.items():
                self.add_error(by_fact[fact].error_field, messages)
                answers.pop(fact, None)
        self.answers = answers
        return cleaned
