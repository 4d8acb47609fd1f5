"""The policy as a file: the shipped catalogue, export, import (catalogue, section 6)."""

from datetime import date, timedelta

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from eligibility.models import Parameter, ParameterChange, ParameterValue, Programme
from eligibility.policy_file import SHIPPED_CATALOGUE, PolicyFileInvalid, export_policy, import_policy, read_policy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def snapshot():
    return (
        list(Programme.objects.values_list("slug", "position", "kind", "per", "title_zh", "title_en", "in_force_from")),
        list(Parameter.objects.values_list("key", "type", "unit", "local_default", "description_en")),
        list(ParameterValue.objects.order_by("id").values_list("parameter__key", "valid_from", "value")),
        ParameterChange.objects.count(),
    )


def write(tmp_path, text: str):
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def future(days: int = 10) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_shipped_catalogue_is_valid_and_complete():
    policy = read_policy(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    assert [programme.slug for programme in policy.programmes] == list(Programme.objects.values_list("slug", flat=True))
    assert len(policy.parameters) == 27


def test_export_then_import_changes_nothing(tmp_path, capsys):
    before = snapshot()
    path = str(tmp_path / "export.yaml")
    call_command("export_policy", path)
    call_command("import_policy", path)
    assert snapshot() == before
    assert "Nothing to change" in capsys.readouterr().out


def test_export_has_every_programme_and_the_full_history():
    data = yaml.safe_load(export_policy())
    assert [programme["id"] for programme in data["programmes"]][:2] == ["flexible-si-subsidy", "startup-subsidy"]
    assert len(data["programmes"]) == 15
    assert data["parameters"]["startup.graduate_window_years"]["values"] == [
        {"from": date(2020, 7, 28), "value": "5"},
        {"from": date(2021, 12, 1), "value": "10"},
    ]
    assert data["parameters"]["common.key_groups"]["values"][0]["value"][0] == "registered_unemployed"
    assert "si.subsidy_rate:" in export_policy() and '{from: 2021-12-01, value: "0.50"}' in export_policy()


def test_import_adds_new_future_values(tmp_path, capsys):
    path = write(
        tmp_path,
        f"""
parameters:
  si.subsidy_rate:
    values:
      - {{from: 2021-12-01, value: "0.50"}}
      - {{from: {future()}, value: "0.60"}}
""",
    )
    call_command("import_policy", path, "--apply-directly")  # proposals: tests/eligibility/test_proposals_import.py
    assert list(Parameter.objects.get(key="si.subsidy_rate").values.values_list("value", flat=True)) == ["0.50", "0.60"]
    assert ParameterChange.objects.filter(origin="import", action="added").count() == 1
    assert "1 values added" in capsys.readouterr().out


def test_a_different_value_for_a_date_in_force_is_kept_with_a_warning(tmp_path, capsys):
    before = snapshot()
    path = write(tmp_path, 'parameters:\n  si.subsidy_rate:\n    values:\n      - {from: 2021-12-01, value: "0.70"}\n')
    call_command("import_policy", path)
    assert snapshot() == before
    assert "kept 0.50" in capsys.readouterr().err


def test_a_new_value_in_the_past_is_not_added(tmp_path, capsys):
    before = snapshot()
    path = write(tmp_path, 'parameters:\n  si.subsidy_rate:\n    values:\n      - {from: 2023-01-01, value: "0.70"}\n')
    call_command("import_policy", path)
    assert snapshot() == before
    assert "would change history" in capsys.readouterr().err


def test_a_future_value_that_differs_is_changed(tmp_path):
    day = future()
    write(tmp_path, f'parameters:\n  si.max_months:\n    values:\n      - {{from: {day}, value: "30"}}\n')
    call_command("import_policy", str(tmp_path / "policy.yaml"), "--apply-directly")
    write(tmp_path, f'parameters:\n  si.max_months:\n    values:\n      - {{from: {day}, value: "36"}}\n')
    call_command("import_policy", str(tmp_path / "policy.yaml"), "--apply-directly")
    assert Parameter.objects.get(key="si.max_months").values.get(valid_from=day).value == "36"
    assert ParameterChange.objects.filter(origin="import", action="changed", previous_value="30").count() == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("parameters: [1, 2", "not valid YAML"),
        ("- just a list", "must be a mapping"),
        ('parameters:\n  si.subsidy_rate:\n    values:\n      - {from: %s, value: "1.5"}\n', "from 0 to 1"),
        ('parameters:\n  si.max_months:\n    values:\n      - {from: %s, value: "2.5"}\n', "whole number"),
        ("parameters:\n  common.key_groups:\n    values:\n      - {from: %s, value: [pirates]}\n", "pirates"),
        ('parameters:\n  si.subsidy_rate:\n    values:\n      - {from: 2024-02-30, value: "0.5"}\n', "out of range"),
        (
            'parameters:\n  si.subsidy_rate:\n    type: money\n    values:\n      - {from: %s, value: "5"}\n',
            "cannot change",
        ),
        ("parameters:\n  new.thing:\n    values:\n      - {from: %s, value: '5'}\n", "needs type and description"),
        ("programmes:\n  - {id: moon-subsidy}\n", "moon-subsidy"),
        (
            "programmes:\n  - {id: startup-loan, kind: loan, per: loan, in_force_from: 2020-01-01,"
            " title: {zh-hans: 贷款, en: Loan}}\n",
            "cannot change",
        ),
    ],
)
def test_an_invalid_file_changes_nothing(tmp_path, text, expected):
    before = snapshot()
    # A valid new value next to the invalid part: it must not be added either.
    valid = f'  psj.max_months:\n    values:\n      - {{from: {future(20)}, value: "30"}}\n'
    body = text.replace("%s", future())
    if body.startswith("parameters:\n"):
        body = body + valid
    with pytest.raises(CommandError) as error:
        call_command("import_policy", write(tmp_path, body))
    assert "nothing was changed" in str(error.value)
    assert expected in str(error.value)
    assert snapshot() == before


def test_all_problems_are_reported_at_once():
    with pytest.raises(PolicyFileInvalid) as invalid:
        read_policy(
            "parameters:\n"
            "  si.subsidy_rate:\n    type: rate\n    values:\n      - {from: 2030-01-01, value: '7'}\n"
            "  si.max_months:\n    type: int\n    values:\n      - {from: 2030-01-01, value: 'x'}\n"
            "  BAD KEY:\n    values: []\n"
        )
    assert len(invalid.value.errors) == 3


def test_dry_run_changes_nothing(tmp_path, capsys):
    before = snapshot()
    path = write(tmp_path, f'parameters:\n  si.max_months:\n    values:\n      - {{from: {future()}, value: "30"}}\n')
    call_command("import_policy", path, "--dry-run", "--reason", "budget 2027")
    assert snapshot() == before
    assert "Dry run" in capsys.readouterr().out


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_policy", str(tmp_path / "nope.yaml"))


def test_import_into_an_empty_database_loads_the_whole_history():
    ParameterChange.objects.all().delete()
    ParameterValue.objects.all().delete()
    Parameter.objects.all().delete()
    Programme.objects.all().delete()
    report = import_policy(read_policy(SHIPPED_CATALOGUE.read_text(encoding="utf-8")))
    assert len(report.values_added) == 28 and not report.warnings
    assert Programme.objects.count() == 15
