"""The registry import: reading CSV and XLSX, checking rows like the API, merging, deleting, progress, privacy."""

import io
from datetime import date, datetime, timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone, translation
from openpyxl import Workbook

from applications.models import AuditEntry
from eligibility.facts import Facts
from eligibility.registry import reading, services
from eligibility.registry.demo import id_number_for
from eligibility.registry.models import RegistryImport, RegistryPerson
from eligibility.registry.selectors import registry_person_for_id_number
from tests.factories import PolicyAdminFactory
from tests.registry.helpers import ALICE, BOB, CAROL, csv_bytes, problems_of, run_import

pytestmark = pytest.mark.django_db


def person(id_number: str) -> RegistryPerson:
    found = registry_person_for_id_number(id_number)
    assert found is not None, f"{id_number} not in the registry"
    return found


@pytest.mark.parametrize("bom", [False, True])
def test_csv_rows_become_persons_with_facts_in_wire_form_and_their_source(bom):
    data = csv_bytes(
        [
            {
                "id_number": ALICE,
                "full_name": "王芳",
                "mobile": "138 0013 8000",
                "email": "wang@example.cn",
                "language": "zh-hans",
                "recorded_on": "2025-03-01",
                "region": "330802",
                "groups": "college_graduate; registered_unemployed",
                "graduation_date": "2024-06-30",
                "employed_since_graduation": "否",
                "employment_form": "platform",
                "pays_flexible_pension": "true",
                "public_service_post_months": "6",
                "requested_loan_amount": "50000",
            },
            {"id_number": BOB.lower().replace("x", "x"), "recorded_on": "", "pays_flexible_medical": "1"},
        ],
        bom=bom,
    )
    registry_import = run_import(data)
    assert registry_import.state == RegistryImport.State.DONE
    assert (registry_import.total, registry_import.processed, registry_import.created) == (2, 2, 2)
    assert registry_import.rejected == 0 and problems_of(registry_import) == []

    alice = person(ALICE)
    assert alice.facts == {
        "birth_date": "1990-05-01",  # from the identity number
        "region": "330802",
        "groups": ["college_graduate", "registered_unemployed"],
        "graduation_date": "2024-06-30",
        "employed_since_graduation": False,
        "employment_form": "platform",
        "pays_flexible_pension": True,
        "public_service_post_months": 6,
        "requested_loan_amount": "50000.00",
    }
    assert alice.fact_sources["employment_form"] == {"source": "hrss", "on": "2025-03-01"}
    assert (alice.full_name, alice.mobile, alice.email, alice.language) == (
        "王芳",
        "13800138000",
        "wang@example.cn",
        "zh-hans",
    )
    assert isinstance(alice.known_facts(), Facts) and alice.known_facts()["public_service_post_months"] == 6
    department, on = alice.source_of("pays_flexible_pension")
    assert on == date(2025, 3, 1) and department in (
        "人力资源和社会保障局",
        "Human Resources and Social Security Bureau",
    )
    assert alice.source_of("hardship_declared") is None

    bob = person(BOB)
    # No date in the row: the import's date.
    assert bob.fact_sources["pays_flexible_medical"] == {"source": "hrss", "on": timezone.localdate().isoformat()}
    assert bob.facts["pays_flexible_medical"] is True


def test_xlsx_cells_of_every_type_are_read():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(
        ["ID_Number", "recorded_on", "region", "birth_date", "pays_flexible_pension", "training_days", "groups"]
    )
    sheet.append([ALICE, datetime(2025, 4, 2), 330802, date(1990, 5, 1), True, 12, "veteran,disabled"])
    sheet.append([CAROL, "2025-04-03", "330824", None, "是", 3.0, None])
    sheet.append([None, None, None, None, None, None, None])  # blank rows are not people
    buffer = io.BytesIO()
    workbook.save(buffer)
    registry_import = run_import(buffer.getvalue(), name="departments.xlsx", source="civil_affairs")
    assert problems_of(registry_import) == []
    assert (registry_import.total, registry_import.created) == (2, 2)
    alice = person(ALICE)
    assert alice.facts == {
        "birth_date": "1990-05-01",
        "region": "330802",
        "groups": ["disabled", "veteran"],
        "pays_flexible_pension": True,
        "training_days": 12,
    }
    assert alice.fact_sources["groups"] == {"source": "civil_affairs", "on": "2025-04-02"}
    carol = person(CAROL)
    assert carol.facts["training_days"] == 3 and carol.facts["pays_flexible_pension"] is True
    assert "groups" not in carol.facts  # blank: unknown


def test_the_newest_source_wins_per_fact_and_each_fact_keeps_its_source():
    run_import(
        csv_bytes(
            [{"id_number": ALICE, "recorded_on": "2025-05-01", "employment_form": "platform", "mobile": "13800138000"}]
        ),
        source="hrss",
    )
    older = run_import(
        csv_bytes(
            [
                {
                    "id_number": ALICE,
                    "recorded_on": "2025-03-01",
                    "employment_form": "employee",
                    "pays_flexible_medical": "true",
                    "mobile": "13900139000",
                }
            ]
        ),
        source="medical_security",
    )
    assert (older.created, older.updated) == (0, 1)
    alice = person(ALICE)
    assert alice.facts["employment_form"] == "platform"  # hrss recorded it later
    assert alice.fact_sources["employment_form"] == {"source": "hrss", "on": "2025-05-01"}
    assert alice.facts["pays_flexible_medical"] is True
    assert alice.fact_sources["pays_flexible_medical"] == {"source": "medical_security", "on": "2025-03-01"}
    assert alice.mobile == "13800138000"

    run_import(
        csv_bytes([{"id_number": ALICE, "recorded_on": "2025-06-01", "employment_form": "employee"}]), source="tax"
    )
    alice = person(ALICE)
    assert alice.facts["employment_form"] == "employee"
    assert alice.fact_sources["employment_form"] == {"source": "tax", "on": "2025-06-01"}
    assert RegistryPerson.objects.count() == 1


def test_within_one_file_the_same_person_merges_by_date_then_by_line():
    registry_import = run_import(
        csv_bytes(
            [
                {"id_number": ALICE, "recorded_on": "2025-05-01", "employment_form": "platform", "region": ""},
                {"id_number": ALICE, "recorded_on": "2025-01-01", "employment_form": "employee", "region": "330803"},
                {"id_number": ALICE.lower(), "recorded_on": "2025-05-01", "employment_form": "part_time", "region": ""},
            ]
        )
    )
    assert (registry_import.created, registry_import.updated, registry_import.rejected) == (1, 0, 0)
    alice = person(ALICE)
    assert alice.facts["employment_form"] == "part_time"  # same date: the later line
    assert alice.facts["region"] == "330803"  # only the older line knew it
    assert RegistryPerson.objects.count() == 1


def test_merge_across_batches_of_one_file(monkeypatch):
    monkeypatch.setattr(services, "BATCH_ROWS", 2)
    rows = [
        {"id_number": ALICE, "recorded_on": f"2025-0{month}-01", "training_days": str(month)} for month in (3, 1, 5)
    ]
    rows.insert(1, {"id_number": BOB, "recorded_on": "2025-01-01", "training_days": "1"})
    registry_import = run_import(csv_bytes(rows))
    assert person(ALICE).facts["training_days"] == 5
    assert (registry_import.created, registry_import.updated) == (2, 1)


def test_every_rejected_row_is_listed_with_its_line_and_reason():
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    future_born = id_number_for("330802", timezone.localdate() + timedelta(days=400), 1)
    bad_checksum = ALICE[:-1] + ("0" if ALICE[-1] != "0" else "1")
    registry_import = run_import(
        csv_bytes(
            [
                {"id_number": ALICE, "birth_date": "1990-05-01", "groups": "college_graduate", "colour": "blue"},
                {"id_number": bad_checksum, "birth_date": "", "groups": "", "colour": ""},  # line 3
                {"id_number": BOB, "birth_date": "1985-13-01", "groups": "", "colour": ""},  # line 4
                {"id_number": CAROL, "birth_date": tomorrow, "groups": "", "colour": ""},  # line 5
                {"id_number": future_born, "birth_date": "", "groups": "", "colour": ""},  # line 6
                {"id_number": CAROL, "birth_date": "", "groups": "astronaut;veteran", "colour": ""},  # line 7
                {"id_number": "", "birth_date": "", "groups": "veteran", "colour": ""},  # line 8
                {"id_number": CAROL, "birth_date": "2001-02-03", "groups": "veteran", "colour": ""},  # line 9: fine
            ]
        )
    )
    problems = problems_of(registry_import)
    by_line = {}
    for line, field, message in problems:
        by_line.setdefault(line, []).append((field, message))
    assert by_line[1] == [("colour", by_line[1][0][1])] and "Unknown column" in by_line[1][0][1]
    assert by_line[3][0][0] == "id_number" and "not a valid resident identity number" in by_line[3][0][1]
    assert by_line[4] == [("birth_date", "This date does not exist.")]
    # The fact's date, and the birth date in the number, each refused in the future.
    assert ("birth_date", "The date must be today or in the past.") in by_line[5]
    assert by_line[6][0][0] == "id_number" and "in the future" in by_line[6][0][1]
    assert by_line[7] == [("groups", "Unknown group code: astronaut.")]
    assert by_line[8] == [("id_number", "The identity number is missing.")]
    assert 2 not in by_line and 9 not in by_line
    assert registry_import.rejected == 6
    assert registry_import.created == 2  # Alice and Carol (line 9)
    assert person(CAROL).facts["groups"] == ["veteran"]


def test_a_row_that_contradicts_the_registry_is_rejected_not_merged():
    run_import(csv_bytes([{"id_number": ALICE, "recorded_on": "2025-01-01", "business_registered_on": "2024-01-01"}]))
    later = run_import(
        csv_bytes([{"id_number": ALICE, "recorded_on": "2025-02-01", "business_registered": "false"}]),
        source="market_regulation",
    )
    assert later.rejected == 1
    assert problems_of(later)[0][:2] == (2, "business_registered")
    assert "business_registered" not in person(ALICE).facts


def test_a_department_deletes_what_it_sent_and_the_person_goes_with_the_last_source():
    admin = PolicyAdminFactory()
    run_import(csv_bytes([{"id_number": ALICE, "recorded_on": "2025-01-01", "region": "330802"}]), source="hrss")
    run_import(
        csv_bytes([{"id_number": ALICE, "recorded_on": "2025-01-02", "pays_flexible_medical": "true"}]),
        source="medical_security",
    )
    first = run_import(csv_bytes([{"id_number": ALICE, "action": "delete"}]), source="hrss", user=admin)
    assert (first.deleted, first.updated, first.rejected) == (0, 1, 0)
    alice = person(ALICE)
    # The birth date in the number came again with medical_security's later row.
    assert set(alice.facts) == {"birth_date", "pays_flexible_medical"}
    assert {origin["source"] for origin in alice.fact_sources.values()} == {"medical_security"}

    second = run_import(
        csv_bytes([{"id_number": ALICE, "action": "DELETE"}, {"id_number": BOB, "action": "delete"}]),
        source="medical_security",
        user=admin,
    )
    assert second.deleted == 1 and registry_person_for_id_number(ALICE) is None
    assert problems_of(second) == [
        (3, "id_number", "No one with this identity number is in the registry: there is nothing to delete.")
    ]
    deletions = AuditEntry.objects.filter(details__registry__in=["facts_deleted", "person_deleted"]).order_by(
        "sequence"
    )
    assert [(entry.details["registry"], entry.details["source"], entry.actor) for entry in deletions] == [
        ("facts_deleted", "hrss", admin),
        ("person_deleted", "medical_security", admin),
    ]
    assert ALICE not in str([entry.details for entry in AuditEntry.objects.all()])  # the audit names no number


def test_a_row_with_an_unknown_action_or_department_is_rejected():
    registry_import = run_import(
        csv_bytes([{"id_number": ALICE, "action": "remove", "source": "police", "region": "330802"}])
    )
    assert [(line, field) for line, field, _message in problems_of(registry_import)] == [(2, "action"), (2, "source")]
    assert not RegistryPerson.objects.exists()


def test_progress_is_written_after_each_batch(monkeypatch):
    monkeypatch.setattr(services, "BATCH_ROWS", 2)
    rows = [{"id_number": id_number_for("330803", date(1980, 1, day), 1), "region": "330803"} for day in range(1, 6)]
    seen = []

    def progress(registry_import):
        stored = RegistryImport.objects.get(pk=registry_import.pk)
        seen.append((stored.processed, stored.total, stored.state, stored.percent))

    registry_import = run_import(csv_bytes(rows), progress=progress)
    assert seen == [(2, 5, "running", 40), (4, 5, "running", 80), (5, 5, "running", 100)]
    assert (registry_import.processed, registry_import.created, registry_import.percent) == (5, 5, 100)


def test_identity_numbers_and_contact_details_are_encrypted_at_rest_and_the_file_is_deleted():
    registry_import = services.registry_import_create(
        name="people.csv",
        data=csv_bytes([{"id_number": ALICE, "full_name": "王芳", "mobile": "13800138000", "region": "330802"}]),
        source="hrss",
        enqueue=False,
    )
    stored = registry_import.stored_file
    with default_storage.open(stored) as handle:
        assert ALICE.encode() in handle.read()  # readable through the storage …
    with open(default_storage.path(stored), "rb") as handle:
        assert ALICE.encode() not in handle.read()  # … but not on disk
    services.registry_import_run(registry_import=registry_import)
    assert not default_storage.exists(stored)
    assert RegistryImport.objects.get(pk=registry_import.pk).stored_file == ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, id_number_hash, full_name, mobile FROM registry_registryperson")
        raw_id, raw_hash, raw_name, raw_mobile = cursor.fetchone()
    assert raw_id.startswith("enc1:") and ALICE not in raw_id
    assert raw_hash and ALICE not in raw_hash
    assert raw_name.startswith("enc1:") and raw_mobile.startswith("enc1:")
    assert person(ALICE).full_name == "王芳"
    assert registry_person_for_id_number(f" {ALICE[:6]} {ALICE[6:]} ") is not None


def test_the_import_is_audited_with_its_counts():
    admin = PolicyAdminFactory()
    registry_import = run_import(
        csv_bytes([{"id_number": ALICE, "region": "330802"}, {"id_number": "123", "region": "330802"}]), user=admin
    )
    entries = AuditEntry.objects.filter(details__import=registry_import.pk).order_by("sequence")
    assert [entry.details["registry"] for entry in entries] == ["import_started", "import_finished"]
    finished = entries.last().details
    assert (finished["state"], finished["total"], finished["created"], finished["rejected"]) == ("done", 2, 1, 1)
    assert all(entry.actor == admin and entry.action == AuditEntry.Action.REGISTRY_IMPORTED for entry in entries)


def test_a_person_viewed_is_audited():
    run_import(csv_bytes([{"id_number": ALICE, "region": "330802"}]))
    admin = PolicyAdminFactory()
    services.registry_person_viewed(person=person(ALICE), actor=admin, purpose="prefill")
    entry = AuditEntry.objects.get(details__registry="person_viewed")
    assert entry.action == AuditEntry.Action.REGISTRY_VIEWED and entry.details["purpose"] == "prefill"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("people.txt", b"id_number\n1\n", "Upload a CSV file"),
        ("people.csv", b"", "The file is empty."),
        ("people.csv", b"full_name,region\nx,330802\n", 'one of them must be "id_number"'),
        ("people.csv", b"id_number,region,region\n", "more than once"),
        ("people.csv", b"id_number,region\n", "no rows"),
        ("people.csv", "id_number\n王".encode("gb18030"), "not in UTF-8"),
        ("people.xlsx", b"PK\x03\x04 not really", "not a readable Excel workbook"),
    ],
)
def test_a_file_that_cannot_be_imported_says_why(name, data, message):
    with translation.override("en"), pytest.raises(reading.RegistryFileInvalid) as raised:
        reading.registry_file_open(name=name, data=data)
    assert message in raised.value.message


def test_demo_rows_are_all_valid_and_distinct():
    from eligibility.registry.demo import COLUMNS, registry_rows

    rows = list(registry_rows(300, seed=4))
    assert len({row["id_number"] for row in rows}) == 300
    assert list(rows[0]) == list(COLUMNS)
    registry_import = run_import(csv_bytes(rows))
    assert problems_of(registry_import) == []
    assert registry_import.created == 300
    facts = [p.facts for p in RegistryPerson.objects.all()]
    assert {f["region"][:4] for f in facts} == {"3308"}
    assert any("college_graduate" in f.get("groups", []) for f in facts)
    assert any(f.get("pays_flexible_pension") is True for f in facts)
    assert len({f.get("employment_form") for f in facts}) >= 4
