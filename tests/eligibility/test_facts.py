from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from eligibility.facts import FACT_FIELDS, Facts, FactsInvalid, parse_as_of, parse_facts


def errors_of(data) -> dict[str, list[str]]:
    with pytest.raises(FactsInvalid) as invalid:
        parse_facts(data)
    return invalid.value.errors


def test_every_catalogue_fact_is_known():
    assert list(FACT_FIELDS) == [
        "birth_date",
        "region",
        "groups",
        "graduation_date",
        "employed_since_graduation",
        "employment_form",
        "plans_business",
        "business_registered",
        "business_registered_on",
        "pays_flexible_pension",
        "pays_flexible_medical",
        "public_service_post_months",
        "training_certificate",
        "hardship_declared",
        "requested_loan_amount",
        "training_days",
        "works_in_construction",
        "rents_state_owned_premises",
    ]


def test_parses_wire_types():
    facts = parse_facts(
        {
            "birth_date": "1999-05-02",
            "groups": ["college_graduate", "veteran"],
            "employed_since_graduation": False,
            "public_service_post_months": 3,
            "requested_loan_amount": "1500.5",
            "region": "330802",
        }
    )
    assert facts["birth_date"] == date(1999, 5, 2)
    assert facts["groups"] == frozenset({"college_graduate", "veteran"})
    assert facts["employed_since_graduation"] is False
    assert facts["public_service_post_months"] == 3
    assert facts["requested_loan_amount"] == Decimal("1500.50")
    assert facts["region"] == "330802"


def test_empty_groups_is_known_and_absent_groups_is_not():
    assert "groups" in parse_facts({"groups": []})
    assert parse_facts({"groups": []})["groups"] == frozenset()
    assert "groups" not in parse_facts({})
    assert parse_facts({}).get("groups") is None


def test_null_counts_as_absent():
    assert "birth_date" not in parse_facts({"birth_date": None})


def test_decimal_accepts_json_numbers_and_numeric_strings():
    assert parse_facts({"requested_loan_amount": 200000})["requested_loan_amount"] == Decimal("200000.00")
    assert parse_facts({"requested_loan_amount": 1500.25})["requested_loan_amount"] == Decimal("1500.25")
    assert parse_facts({"requested_loan_amount": "200000"})["requested_loan_amount"] == Decimal("200000.00")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("birth_date", "2023-02-29"),  # impossible date
        ("birth_date", "2023-2-1"),
        ("birth_date", 20230201),
        ("employed_since_graduation", "false"),  # a bool must be a JSON bool
        ("employed_since_graduation", 0),
        ("public_service_post_months", True),  # an int must not be a bool
        ("public_service_post_months", 2.5),
        ("public_service_post_months", "3"),
        ("public_service_post_months", -1),
        ("requested_loan_amount", "1500.505"),
        ("requested_loan_amount", "-5"),
        ("requested_loan_amount", -5),
        ("requested_loan_amount", "1e5"),
        ("requested_loan_amount", "NaN"),
        ("requested_loan_amount", float("inf")),
        ("requested_loan_amount", True),
        ("requested_loan_amount", "9" * 30),
        ("groups", ["pirate"]),
        ("groups", "college_graduate"),
        ("groups", [1]),
        ("employment_form", "astronaut"),
        ("employment_form", ["part_time"]),
        ("region", "33080"),
        ("region", 330800),
        ("region", "３３０８００"),
        ("region", "330800\n"),
        ("birth_date", "2000-01-01\n"),
    ],
)
def test_wrong_values_are_reported_per_fact(name, value):
    errors = errors_of({name: value})
    assert list(errors) == [name]
    assert errors[name] and all(isinstance(message, str) for message in errors[name])


def test_unknown_fact_and_non_object():
    assert "shoe_size" in errors_of({"shoe_size": 42, "birth_date": "2000-01-01"})
    assert list(errors_of(["birth_date"])) == ["facts"]


def test_all_errors_at_once():
    errors = errors_of({"birth_date": "nope", "groups": ["pirate"], "x": 1})
    assert set(errors) == {"birth_date", "groups", "x"}


def test_messages_follow_the_active_language():
    with translation.override("zh-hans"):
        assert errors_of({"birth_date": "2023-02-29"})["birth_date"] == ["该日期不存在。"]
    with translation.override("en"):
        assert errors_of({"birth_date": "2023-02-29"})["birth_date"] == ["This date does not exist."]


def test_facts_are_immutable_and_round_trip_to_json():
    facts = parse_facts({"birth_date": "1999-05-02", "groups": ["veteran"], "requested_loan_amount": 5})
    with pytest.raises(TypeError):
        facts["birth_date"] = date(2000, 1, 1)
    assert parse_facts(facts.to_json()) == facts
    assert Facts(groups=["veteran"]) == Facts({"groups": {"veteran"}})


def test_parse_as_of():
    assert parse_as_of("2024-03-01") == date(2024, 3, 1)
    assert parse_as_of(None, default=date(2020, 1, 1)) == date(2020, 1, 1)
    assert isinstance(parse_as_of(None), date)
    with pytest.raises(FactsInvalid) as invalid:
        parse_as_of("2024-02-30")
    assert list(invalid.value.errors) == ["as_of"]


def test_public_service_months_are_bounded():
    assert parse_facts({"public_service_post_months": 120})["public_service_post_months"] == 120
    with translation.override("en"), pytest.raises(FactsInvalid) as caught:
        parse_facts({"public_service_post_months": 121})
    assert caught.value.errors == {"public_service_post_months": ["Enter at most 120."]}
