"""Every use of a department registry's data is in the audit trail with an action of its own, and reads
as a sentence in both languages on /staff/audit/: imports, deletions, look-ups, matching runs (one entry
a run, with its counts), invitations opened, opt-outs, pre-filled applications and identity checks."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from applications.audit_wording import audit_sentence
from applications.models import AuditEntry
from eligibility.fact_labels import staff_fact_label
from eligibility.matching import tasks
from eligibility.matching.audit import match_run_audit
from eligibility.matching.models import MatchRun
from eligibility.matching.services import registry_match
from eligibility.registry import services as registry_services
from eligibility.registry.models import RegistryPerson, department_label
from tests.factories import GRADUATE_FACTS, VALID_ID_NUMBER, CitizenFactory, PolicyAdminFactory, SupervisorFactory
from tests.matching.helpers import AS_OF, GRADUATE, registry_person
from tests.outreach.conftest import id_number
from tests.registry.helpers import ALICE, csv_bytes, run_import

pytestmark = pytest.mark.django_db

AUDIT = "/staff/audit/"


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def sentences(action, language="en") -> list[str]:
    with translation.override(language):
        return [audit_sentence(entry) for entry in AuditEntry.objects.filter(action=action).order_by("sequence")]


def test_an_import_and_a_departments_deletion_have_actions_of_their_own():
    admin = PolicyAdminFactory(full_name="管理员")
    run_import(
        csv_bytes([{"id_number": ALICE, "region": "330802", "pays_flexible_pension": "1", "full_name": "王芳"}]),
        user=admin,
        name="hrss-2026.csv",
    )
    started, finished = sentences(AuditEntry.Action.REGISTRY_IMPORTED)
    assert started.startswith("管理员 started importing the registry file “hrss-2026.csv” from Human Resources")
    assert "(1 rows)" in started
    assert "imported registry data from Human Resources and Social Security Bureau" in finished
    assert "1 persons added, 0 updated, 0 deleted, 0 rows refused" in finished
    assert "导入了人力资源和社会保障局的登记数据" in sentences(AuditEntry.Action.REGISTRY_IMPORTED, "zh-hans")[1]

    person = RegistryPerson.objects.get()
    run_import(csv_bytes([{"id_number": ALICE, "action": "delete"}]), user=admin)
    (deleted,) = sentences(AuditEntry.Action.REGISTRY_ROWS_DELETED)
    assert deleted.startswith(f"管理员 removed registry person {person.pk} on ")
    assert "Human Resources and Social Security Bureau deleted what it had sent" in deleted
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.NOTE).exists()


def test_removing_some_facts_names_them():
    admin = PolicyAdminFactory()
    run_import(csv_bytes([{"id_number": ALICE, "region": "330802"}]), user=admin, source="hrss")
    run_import(csv_bytes([{"id_number": ALICE, "pays_flexible_medical": "1"}]), user=admin, source="medical_security")
    run_import(csv_bytes([{"id_number": ALICE, "action": "delete"}]), user=admin, source="medical_security")
    (deleted,) = sentences(AuditEntry.Action.REGISTRY_ROWS_DELETED)
    with translation.override("en"):
        medical = department_label("medical_security")
        paying = staff_fact_label("pays_flexible_medical")
    assert f"deleted what {medical} had sent about registry person" in deleted
    assert paying in deleted and "pays_flexible_medical" not in deleted  # named in words, not by its code


def test_a_look_up_reads_as_a_sentence():
    run_import(csv_bytes([{"id_number": ALICE, "region": "330802"}]))
    admin = PolicyAdminFactory(full_name="李管理")
    registry_services.registry_person_viewed(person=RegistryPerson.objects.get(), actor=admin, purpose="lookup")
    (viewed,) = sentences(AuditEntry.Action.REGISTRY_VIEWED)
    assert viewed.startswith("李管理 looked up what departments hold about registry person")


def test_the_nightly_matching_task_writes_one_entry_with_the_runs_counts():
    for _ in range(3):
        registry_person(GRADUATE)
    outcome = tasks.registry_match_nightly()
    run = MatchRun.objects.get(pk=outcome["run"])
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REGISTRY_MATCHED)
    assert entry.actor is None and entry.application is None
    assert entry.details["run"] == run.pk and entry.details["state"] == "done"
    assert (entry.details["persons"], entry.details["eligible"], entry.details["invitations"]) == (
        3,
        run.eligible,
        run.invitations,
    )
    assert run.eligible > 0
    (sentence,) = sentences(AuditEntry.Action.REGISTRY_MATCHED)
    assert sentence.startswith("The system matched the registry with the programmes as of ")
    assert f"(run {run.pk}): 3 persons checked, {run.eligible} eligible for at least one programme" in sentence
    assert sentences(AuditEntry.Action.REGISTRY_MATCHED, "zh-hans")[0].startswith("系统 于 ")
    # Seen ending again (the command waiting for a chord, a task run twice): still one entry.
    match_run_audit(run=run)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REGISTRY_MATCHED).count() == 1


def test_the_command_writes_one_entry_a_run():
    registry_person(GRADUATE)
    call_command("match_registry", "--as-of", AS_OF.isoformat(), stdout=StringIO())
    call_command("match_registry", "--as-of", AS_OF.isoformat(), stdout=StringIO())
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.REGISTRY_MATCHED)
    assert sorted(entry.details["run"] for entry in entries) == sorted(MatchRun.objects.values_list("pk", flat=True))
    assert {entry.details["as_of"] for entry in entries} == {AS_OF.isoformat()}
    assert entries.count() == 2


def test_a_distributed_run_is_audited_by_its_callback_once(django_capture_on_commit_callbacks):
    registry_person(GRADUATE)
    with django_capture_on_commit_callbacks(execute=True):  # the chord, run in this process (eager)
        run = registry_match(as_of=AS_OF, chunk_size=1, distributed=True)
    run.refresh_from_db()
    assert run.state == MatchRun.State.DONE
    match_run_audit(run=run)  # what the command does once it sees the run end
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REGISTRY_MATCHED)
    assert entry.details["distributed"] is True and entry.details["persons"] == 1


def test_a_failed_run_is_audited_as_failed():
    run = MatchRun.objects.create(as_of=AS_OF, distributed=True)
    assert match_run_audit(run=run) is None  # still running: nothing yet
    tasks.match_failed(None, RuntimeError("worker lost"), None, run_id=run.pk)
    (sentence,) = sentences(AuditEntry.Action.REGISTRY_MATCHED)
    assert "could not finish matching the registry with the programmes as of 1 Mar 2026 on" in sentence
    assert AuditEntry.objects.get(action=AuditEntry.Action.REGISTRY_MATCHED).details["state"] == "failed"


def test_the_prefill_writes_one_entry_naming_the_answers_taken_over(client, invited):
    citizen = CitizenFactory(full_name="王小明")
    client.force_login(citizen)
    client.post(f"/invitations/{invited.token}/apply/", {"id_number": VALID_ID_NUMBER})
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REGISTRY_PREFILLED)
    assert entry.actor == citizen and entry.application is not None
    assert entry.details["answers"] == sorted([*GRADUATE_FACTS, "full_name", "mobile"])
    assert entry.details["sources"]["graduation_date"] == "education"
    (sentence,) = sentences(AuditEntry.Action.REGISTRY_PREFILLED)
    assert sentence.startswith(f"王小明 started application {entry.application.reference} pre-filled from the registry")
    assert "taking over: " in sentence and "full name" in sentence and "mobile number" in sentence
    assert "graduation_date" not in sentence
    assert "采用了：" in sentences(AuditEntry.Action.REGISTRY_PREFILLED, "zh-hans")[0]


def test_the_supervisor_of_the_region_served_reads_every_registry_use(client, invited, settings):
    client.get(f"/invitations/{invited.token}/")  # opened by someone without an account
    visitor = CitizenFactory(full_name="张三")
    client.force_login(visitor)
    client.post(f"/invitations/{invited.token}/apply/", {"id_number": id_number(9)})
    client.post(f"/invitations/{invited.token}/opt-out/")
    tasks.registry_match_nightly()

    client.force_login(SupervisorFactory(region=settings.LINGHUO_REGION_CODE, preferred_language="en"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get(AUDIT).content.decode()
    assert f"The invitation page of registry person {invited.person_id}" in html
    assert f"张三 typed a wrong identity number for the invitation of registry person {invited.person_id}" in html
    assert f"Registry person {invited.person_id} asked to receive no more invitations" in html
    assert "The system matched the registry with the programmes" in html
    assert "every use of the department registries" in html
    listed = client.get(AUDIT, {"action": AuditEntry.Action.IDENTITY_MISMATCH})
    assert [entry.action for entry, _sentence in listed.context["rows"]] == [AuditEntry.Action.IDENTITY_MISMATCH]

    client.force_login(SupervisorFactory(region="330900"))
    other = client.get(AUDIT)
    assert other.status_code == 200 and not other.context["rows"]
