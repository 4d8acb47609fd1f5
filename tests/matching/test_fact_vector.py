"""The registry's facts as PostgreSQL keeps them encoded (``eligibility.registry.fact_vector``): the same
table as ``parse_facts`` gives, whoever writes the row; a damaged row is refused when read, never when
written; without the column (or in another layout) matching encodes the facts itself, with the same answer."""

import importlib
import logging
import pkgutil

import numpy as np
import pytest
from django.db import connection

from eligibility.matching import services
from eligibility.matching.services import read_chunk, registry_match, registry_reads
from eligibility.registry import fact_vector
from eligibility.registry.models import RegistryPerson
from tests.matching.helpers import AS_OF, GRADUATE, forget_matching, registry_person, results_of

EDGES = [
    GRADUATE,
    {},
    {"birth_date": "0001-01-01", "graduation_date": "9999-12-31", "business_registered_on": "2024-02-29"},
    {"birth_date": "2000-02-29", "region": "000000", "groups": [], "employment_form": "other"},
    {"groups": ["college_graduate", "low_income_household", "veteran", "disabled"], "employment_form": "unemployed"},
    {"requested_loan_amount": "0.01", "public_service_post_months": 0, "training_days": 366},
    {"requested_loan_amount": "999999999999.99", "public_service_post_months": 120, "business_registered": True},
    {"requested_loan_amount": 1500.5, "business_registered_on": "2025-09-01"},  # the date implies "registered"
    {"requested_loan_amount": "0000120000.50", "plans_business": False, "hardship_declared": True},
    {"birth_date": None, "region": None, "groups": None, "pays_flexible_pension": None},  # null is unknown
    {**GRADUATE, "works_in_construction": True, "rents_state_owned_premises": False, "training_certificate": True},
]


def _same_tables(one, other) -> None:
    assert one.n == other.n
    assert np.array_equal(one.groups_known, other.groups_known)
    for name, column in one.columns.items():
        theirs = other.columns[name]
        assert column.dtype == theirs.dtype, name
        if column.dtype.kind == "M":
            assert np.array_equal(np.isnat(column), np.isnat(theirs)), name
            assert np.array_equal(column[~np.isnat(column)], theirs[~np.isnat(theirs)]), name
        else:
            assert np.array_equal(column, theirs), name


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_kept_vector_reads_as_parse_facts_reads_the_jsonb_whoever_writes_the_row():
    persons = [registry_person(facts) for facts in EDGES]
    first, last = persons[0].pk, persons[-1].pk
    _same_tables(read_chunk(first, last).table, read_chunk(first, last, fast=False).table)
    # Written past the model (the vector is PostgreSQL's: it follows any write of the facts).
    RegistryPerson.objects.filter(pk=persons[1].pk).update(
        facts={"region": "330881", "employed_since_graduation": True}
    )
    changed = read_chunk(first, last)
    assert int(changed.table.columns["region"][1]) == 330881
    _same_tables(changed.table, read_chunk(first, last, fast=False).table)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "damage",
    [
        {"region": "abc"},
        {"birth_date": "2023-02-29"},
        {"birth_date": "1990-13-01"},
        {"pays_flexible_pension": "yes"},
        {"public_service_post_months": 7.5},
        {"public_service_post_months": -1},
        {"public_service_post_months": 121},
        {"requested_loan_amount": "12.345"},
        {"requested_loan_amount": "1000000000000.00"},
        {"employment_form": "astronaut"},
        {"groups": "college_graduate"},
    ],
)
def test_a_damaged_row_can_be_written_but_not_matched(damage):
    person = registry_person(GRADUATE)
    RegistryPerson.objects.filter(pk=person.pk).update(facts={**GRADUATE, **damage})  # the write does not fail
    with pytest.raises(ValueError, match=f"Registry person {person.pk} has facts that cannot be read"):
        read_chunk(person.pk, person.pk)
    with pytest.raises(ValueError, match=f"Registry person {person.pk} has facts that cannot be read"):
        read_chunk(person.pk, person.pk, fast=False)


@pytest.mark.postgres
@pytest.mark.django_db
def test_without_the_column_matching_encodes_the_facts_itself_with_the_same_answer(caplog):
    for facts in EDGES * 2:
        registry_person(facts)
    registry_match(as_of=AS_OF, chunk_size=5)
    with_column = results_of()
    forget_matching()
    table = RegistryPerson._meta.db_table
    fact_vector.facts_vector_drop(connection, table)  # undone with the test's transaction
    with caplog.at_level(logging.WARNING, logger="eligibility.matching.services"):
        run = registry_match(as_of=AS_OF, chunk_size=5)
    assert results_of() == with_column and run.persons == len(EDGES) * 2
    assert "facts_vector is missing or of another catalogue's layout" in caplog.text
    assert fact_vector.facts_vector_refresh(connection, table) is True
    assert fact_vector.column_layout(connection, table) == fact_vector.LAYOUT
    assert fact_vector.facts_vector_refresh(connection, table) is False  # already in this layout


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_migrated_column_holds_this_catalogues_layout():
    assert fact_vector.column_layout(connection, RegistryPerson._meta.db_table) == fact_vector.LAYOUT


def test_a_registry_migration_rebuilds_the_vector_of_this_catalogue():
    """A change of the facts (a new fact, a new code) changes the layout: a registry migration must then run
    ``facts_vector_refresh`` again and say so with ``FACTS_VECTOR_LAYOUT``, or existing registries keep the
    old vector and matching falls back to encoding every person itself."""
    import eligibility.registry.migrations as migrations

    layouts = {
        getattr(importlib.import_module(f"{migrations.__name__}.{name}"), "FACTS_VECTOR_LAYOUT", None)
        for _finder, name, _package in pkgutil.iter_modules(migrations.__path__)
    }
    assert fact_vector.LAYOUT in layouts, (
        f"No registry migration rebuilds the fact vector of layout {fact_vector.LAYOUT}: add one that runs "
        "eligibility.registry.fact_vector.facts_vector_refresh with FACTS_VECTOR_LAYOUT = that number."
    )


def test_the_vector_sql_names_only_catalogue_words():
    with pytest.raises(ValueError):
        fact_vector._literal("x'; DROP TABLE y; --")
    assert fact_vector.VECTOR_DTYPE.names[0] == "layout" and fact_vector.VECTOR_DTYPE.itemsize < 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the reading thread sees committed rows only
def test_a_reader_that_stops_early_stops_the_reading_thread():
    import threading

    def reading() -> bool:
        return any(thread.name == "matching-read" for thread in threading.enumerate())

    for _ in range(12):
        registry_person(GRADUATE)
    reads = registry_reads(3)
    first = next(reads)
    assert first.table.n == 3 and reading()
    reads.close()  # the caller stops after one chunk (an error in its evaluation)
    assert not reading()
    assert [read.table.n for read in registry_reads(5)] == [5, 5, 2]
    assert services._uses_copy()
