"""The policy administrator's registry pages, the status JSON, and the terminal command."""

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from applications.models import AuditEntry
from eligibility.registry import reading
from eligibility.registry.models import RegistryImport, RegistryPerson
from tests.factories import CaseworkerFactory, CitizenFactory, PolicyAdminFactory
from tests.registry.helpers import ALICE, BOB, csv_bytes, run_import

pytestmark = pytest.mark.django_db

IMPORTS = reverse("registry:imports")


@pytest.fixture
def policy_admin(client):
    user = PolicyAdminFactory()
    client.force_login(user)
    client.cookies["linghuo_language"] = "en"
    return user


def upload(client, *, name="people.csv", data=None, source="hrss"):
    data = (
        csv_bytes([{"id_number": ALICE, "region": "330802"}, {"id_number": "123", "region": "x"}])
        if data is None
        else data
    )
    return client.post(IMPORTS, {"source": source, "file": SimpleUploadedFile(name, data)}, HTTP_ACCEPT_LANGUAGE="en")


def test_a_policy_admin_uploads_a_file_and_follows_its_import(client, policy_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(client)
    assert len(callbacks) == 1  # the task is queued once the upload is committed (and runs eagerly here)
    registry_import = RegistryImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "registry:import_detail", args=[registry_import.pk]
    )
    assert (registry_import.state, registry_import.uploaded_by, registry_import.source) == (
        "done",
        policy_admin,
        "hrss",
    )
    assert (registry_import.created, registry_import.rejected) == (1, 1)
    assert registry_import.stored_file == "" and default_storage.listdir("registry")[1] == []

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-progress="100"' in html and 'src="/static/js/registry.js"' in html
    assert re.search(r"<th scope=\"row\">3</th>\s*<td><code>id_number</code></td>", html)
    assert "<script>" not in html  # the CSP allows no inline script

    status = client.get(reverse("registry:import_status", args=[registry_import.pk])).json()
    assert status == {
        "state": "done",
        "state_label": "done",
        "finished": True,
        "percent": 100,
        "total": 2,
        "processed": 2,
        "created": 1,
        "updated": 0,
        "deleted": 0,
        "rejected": 1,
        "error": "",
    }
    listing = client.get(IMPORTS).content.decode()
    assert "people.csv" in listing and "Human Resources and Social Security Bureau" in listing


def test_a_queued_import_shows_its_progress_from_the_status(client, policy_admin):
    data = csv_bytes([{"id_number": ALICE, "region": "330802"}])
    response = upload(client, data=data)  # outside a captured commit: the task has not run
    registry_import = RegistryImport.objects.get()
    assert registry_import.state == "queued"
    assert default_storage.exists(registry_import.stored_file)
    status = client.get(reverse("registry:import_status", args=[registry_import.pk])).json()
    assert (status["state"], status["finished"], status["percent"], status["total"]) == ("queued", False, 0, 1)
    html = client.get(response["Location"]).content.decode()
    assert 'data-finished="false"' in html and "progress-bar-animated" in html


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("people.pdf", b"%PDF-1.4", "Upload a CSV file (UTF-8) or an Excel workbook (.xlsx)."),
        ("people.csv", b"", "The file is empty."),
        ("people.csv", b"name,region\nx,330802\n", "one of them must be"),
    ],
)
def test_a_bad_file_is_refused_with_its_reason_and_the_department_kept(client, policy_admin, name, data, message):
    response = upload(client, name=name, data=data, source="civil_affairs")
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html.replace("&quot;", '"')
    assert re.search(r'<option value="civil_affairs"\s+selected', html)
    assert not RegistryImport.objects.exists()


def test_a_file_too_large_is_refused(client, policy_admin, monkeypatch):
    monkeypatch.setattr("eligibility.registry.forms.MAX_FILE_BYTES", 10)
    response = upload(client, source="tax")
    assert response.status_code == 400
    assert "The file is larger than" in response.content.decode()
    assert re.search(r'<option value="tax"\s+selected', response.content.decode())


def test_no_department_chosen_is_an_error(client, policy_admin):
    response = upload(client, source="")
    assert response.status_code == 400
    assert "Choose the department the file comes from." in response.content.decode()


@pytest.mark.parametrize("factory", [CitizenFactory, CaseworkerFactory])
def test_others_may_not_see_the_registry(client, factory):
    registry_import = run_import(csv_bytes([{"id_number": ALICE, "region": "330802"}]))
    client.force_login(factory())
    for url in (
        IMPORTS,
        reverse("registry:import_detail", args=[registry_import.pk]),
        reverse("registry:import_status", args=[registry_import.pk]),
        reverse("registry:person_lookup"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("registry:person_lookup"), {"id_number": ALICE}).status_code == 403
    assert upload(client).status_code == 403
    assert RegistryImport.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(IMPORTS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_looking_a_person_up_shows_sources_and_is_audited(client, policy_admin):
    run_import(
        csv_bytes(
            [{"id_number": ALICE, "recorded_on": "2025-03-01", "full_name": "王芳", "pays_flexible_pension": "1"}]
        )
    )
    response = client.post(reverse("registry:person_lookup"), {"id_number": ALICE.lower()})
    html = response.content.decode()
    assert response.status_code == 200
    assert "王芳" in html and "provided by Human Resources and Social Security Bureau" in html
    entry = AuditEntry.objects.get(details__registry="person_viewed")
    assert entry.actor == policy_admin and entry.action == AuditEntry.Action.REGISTRY_VIEWED
    assert entry.details["person"] == RegistryPerson.objects.get().pk

    missing = client.post(reverse("registry:person_lookup"), {"id_number": BOB})
    assert "No department has shared anything" in missing.content.decode()
    assert AuditEntry.objects.filter(details__registry="person_viewed").count() == 1


def test_the_command_imports_with_a_progress_bar_and_lists_rejected_lines(tmp_path, monkeypatch):
    monkeypatch.setattr("eligibility.registry.services.BATCH_ROWS", 1)
    path = tmp_path / "hrss.csv"
    path.write_bytes(
        csv_bytes(
            [
                {"id_number": ALICE, "groups": "veteran"},
                {"id_number": BOB, "groups": "astronaut"},
            ]
        )
    )
    out = io.StringIO()
    call_command("import_registry", str(path), source="hrss", language="en", stdout=out)
    text = out.getvalue()
    assert "\r[###############...............]  50% 1/2" in text
    assert "\r[##############################] 100% 2/2" in text
    assert "Rows: 2; added 1, updated 0, deleted 0, rejected 1" in text
    assert "line 3  groups: Unknown group code: astronaut." in text
    assert RegistryImport.objects.get().state == "done"


def test_the_command_refuses_a_bad_file(tmp_path):
    path = tmp_path / "hrss.csv"
    path.write_bytes(b"name\nx\n")
    with pytest.raises(CommandError, match="id_number"):
        call_command("import_registry", str(path), source="hrss", language="en", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("import_registry", str(tmp_path / "missing.csv"), source="hrss", stdout=io.StringIO())


def test_the_sample_command_writes_a_registry_that_imports_cleanly(tmp_path):
    path = tmp_path / "sample.csv"
    call_command("registry_sample", str(path), rows=120, seed=2, stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_registry", str(path), source="hrss", language="en", stdout=out)
    assert "Rows: 120; added 120, updated 0, deleted 0, rejected 0" in out.getvalue()
    assert len(reading.registry_file_open(name="sample.csv", data=path.read_bytes()).columns) >= 10


def test_the_pages_are_in_chinese_by_default(client):
    client.force_login(PolicyAdminFactory())
    registry_import = run_import(csv_bytes([{"id_number": ALICE, "groups": "astronaut"}]))
    listing = client.get(IMPORTS).content.decode()
    assert "部门名册" in listing and "上传并导入" in listing and "人力资源和社会保障局" in listing
    detail = client.get(reverse("registry:import_detail", args=[registry_import.pk])).content.decode()
    assert "拒收的行和文件问题" in detail and "已完成" in detail
