"""Three-valued logic of the rule building blocks (catalogue, section 4)."""

from datetime import date
from itertools import product

import pytest

from eligibility.facts import Facts
from eligibility.parameter_set import ParameterSet
from eligibility.rules.logic import All, Any, Context, Node, Not, Outcome

VALUES = (True, False, None)


class Fixed(Node):
    def __init__(self, passed, missing=()):
        self.passed = passed
        self.missing = missing

    def evaluate(self, context):
        return Outcome(self.passed, ("reason",) if self.passed is not None else (), self.missing)


CONTEXT = Context(
    facts=Facts(), as_of=date(2024, 3, 1), parameters=ParameterSet(date(2024, 3, 1), {}), region_served="330800"
)


def kleene_and(a, b):
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return None


def kleene_or(a, b):
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


@pytest.mark.parametrize(("a", "b"), list(product(VALUES, VALUES)))
def test_and_truth_table(a, b):
    assert All(Fixed(a), Fixed(b)).evaluate(CONTEXT).passed is kleene_and(a, b)


@pytest.mark.parametrize(("a", "b"), list(product(VALUES, VALUES)))
def test_or_truth_table(a, b):
    assert Any(Fixed(a), Fixed(b)).evaluate(CONTEXT).passed is kleene_or(a, b)


@pytest.mark.parametrize(("a", "expected"), [(True, False), (False, True), (None, None)])
def test_not(a, expected):
    assert Not(Fixed(a)).evaluate(CONTEXT).passed is expected


def test_unknown_lists_the_missing_facts_in_catalogue_order():
    outcome = All(Fixed(True), Fixed(None, ("graduation_date",)), Fixed(None, ("birth_date",))).evaluate(CONTEXT)
    assert outcome.passed is None
    assert outcome.missing == ("birth_date", "graduation_date")


def test_a_false_part_needs_no_missing_facts():
    outcome = All(Fixed(False), Fixed(None, ("birth_date",))).evaluate(CONTEXT)
    assert outcome == Outcome(False, ("reason",))
    assert Any(Fixed(True), Fixed(None, ("birth_date",))).evaluate(CONTEXT).missing == ()
