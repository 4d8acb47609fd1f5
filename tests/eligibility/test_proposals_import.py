"""``import_policy`` goes through the checks of a proposal and creates proposals (issue 14, item 2)."""

from datetime import timedelta

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from eligibility.dates import add_years
from eligibility.models import ParameterChange, ParameterProposal, ParameterValue, Programme, ReferenceCase
from eligibility.policy_file import PolicyFileInvalid, export_policy, import_policy, read_policy
from tests.factories import PolicyAdminFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def day(days: int = 10) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def write(tmp_path, text: str) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def values_file(key: str, value: str, *, when: str | None = None, extra: str = "") -> str:
    return f'parameters:\n  {key}:\n    values:\n      - {{from: {when or day()}, value: "{value}"{extra}}}\n'


def test_a_new_value_becomes_a_proposal_with_the_parameters_source(tmp_path, capsys):
    PolicyAdminFactory(username="importer@policy.test")
    before = ParameterValue.objects.count()
    path = write(tmp_path, values_file("si.subsidy_rate", "0.60"))
    call_command("import_policy", path, "--reason", "2027 budget", "--user", "importer@policy.test")
    proposal = ParameterProposal.objects.get()
    assert (proposal.value, proposal.state, proposal.origin) == ("0.60", "proposed", "import")
    assert (proposal.reference_document, proposal.reference_clause) == ("000_68a1fcf5d1ed1785.txt", "Seventh")
    assert proposal.reason == "2027 budget" and proposal.proposed_by.username == "importer@policy.test"
    assert ParameterValue.objects.count() == before
    out = capsys.readouterr().out
    assert "proposal created: parameters.si.subsidy_rate" in out and "1 proposals created" in out

    # The same file again: already awaiting approval, nothing new.
    call_command("import_policy", path, "--reason", "2027 budget")
    assert ParameterProposal.objects.count() == 1
    assert "1 already awaiting approval" in capsys.readouterr().out


def test_a_value_may_give_its_own_reference_and_reason(tmp_path):
    extra = ', document: 001_8e2667f29c5c1bb2.txt, clause: "2.(2)", reason: State Council'
    call_command("import_policy", write(tmp_path, values_file("si.graduate_window_months", "36", extra=extra)))
    proposal = ParameterProposal.objects.get()
    assert (proposal.reference_document, proposal.reference_clause, proposal.reason) == (
        "001_8e2667f29c5c1bb2.txt",
        "2.(2)",
        "State Council",
    )
    assert proposal.proposed_by is None  # the system imported it: any policy admin may approve


def test_a_local_setting_without_source_is_referenced_as_one(tmp_path):
    call_command("import_policy", write(tmp_path, values_file("si.max_months", "30")), "--reason", "budget")
    assert ParameterProposal.objects.get().reference_document == "local setting"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (values_file("common.working_age_min", "70"), "must be below"),
        (values_file("si.graduate_window_months", "0"), "would leave no time at all"),
        (values_file("si.subsidy_rate", "0.60", extra=", colour: red"), "unknown fields: colour"),
    ],
)
def test_what_fails_the_checks_changes_nothing(tmp_path, text, expected):
    with pytest.raises(CommandError) as error:
        call_command("import_policy", write(tmp_path, text), "--reason", "x")
    assert "nothing was changed" in str(error.value) and expected in str(error.value)
    assert not ParameterProposal.objects.exists()


def test_a_proposal_more_than_three_years_ahead_is_refused(tmp_path):
    later = (add_years(timezone.localdate(), 3) + timedelta(days=1)).isoformat()
    with pytest.raises(CommandError) as error:
        call_command(
            "import_policy", write(tmp_path, values_file("si.subsidy_rate", "0.60", when=later)), "--reason", "x"
        )
    assert "three years ahead" in str(error.value)


def test_a_proposal_needs_a_reason(tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("import_policy", write(tmp_path, values_file("si.subsidy_rate", "0.60")))
    assert "give the reason of the change" in str(error.value)
    assert not ParameterProposal.objects.exists()


def test_applying_directly_goes_through_the_same_checks(tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("import_policy", write(tmp_path, values_file("common.working_age_min", "70")), "--apply-directly")
    assert "must be below" in str(error.value)
    later = (add_years(timezone.localdate(), 3) + timedelta(days=1)).isoformat()
    with pytest.raises(CommandError) as error:
        call_command(
            "import_policy", write(tmp_path, values_file("si.subsidy_rate", "0.60", when=later)), "--apply-directly"
        )
    assert "three years ahead" in str(error.value)
    call_command("import_policy", write(tmp_path, values_file("common.working_age_min", "18")), "--apply-directly")
    assert ParameterChange.objects.filter(origin="import", action="added", value="18").exists()
    assert not ParameterProposal.objects.exists()


def test_a_new_parameter_gets_its_first_values_at_once(tmp_path):
    text = (
        "parameters:\n  pilot.bonus_amount:\n    type: money\n    unit: CNY\n    local_default: true\n"
        "    description: {zh-hans: 试点奖励, en: Pilot bonus}\n"
        '    values:\n      - {from: 2021-12-01, value: "100.00"}\n'
    )
    report = import_policy(read_policy(text))
    assert report.values_added == ["parameters.pilot.bonus_amount 2021-12-01"] and not report.proposals_created


# --- Reference cases and programme ends in the file ---------------------------------------------------


def test_the_catalogue_loads_its_reference_cases_and_export_keeps_them():
    assert ReferenceCase.objects.count() == 15
    data = yaml.safe_load(export_policy())
    assert len(data["reference_cases"]) == 15
    assert data["reference_cases"][0]["facts"]["graduation_date"] == "-24m"
    assert data["reference_cases"][0]["expected"] == {"flexible-si-subsidy": {"status": "eligible", "amount": "500.00"}}
    report = import_policy(read_policy(export_policy()))
    assert not report.changed_anything


def test_imported_reference_cases_are_added_and_edited_ones_kept():
    case = ReferenceCase.objects.first()
    case.expected = {"flexible-si-subsidy": {"status": "ineligible", "amount": None}}
    case.save()
    text = (
        "reference_cases:\n"
        f"  - name: {{zh-hans: {case.name_zh}, en: again}}\n"
        "    facts: {birth_date: '-30y'}\n    expected: {startup-loan: {status: needs_info, amount: null}}\n"
        "  - name: {zh-hans: 新案例, en: A new case}\n"
        "    facts: {birth_date: '-30y', groups: [veteran]}\n"
        "    expected: {startup-loan: {status: ineligible, amount: null}}\n"
    )
    report = import_policy(read_policy(text))
    assert report.reference_cases_added == ["新案例"]
    case.refresh_from_db()
    assert case.expected["flexible-si-subsidy"]["status"] == "ineligible"


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("facts: {birth_date: 'yesterday'}\n    expected: {startup-loan: {status: eligible}}", "birth_date"),
        ("facts: {}\n    expected: {moon-subsidy: {status: eligible}}", "moon-subsidy"),
        ("facts: {}\n    expected: {startup-loan: {status: maybe}}", "give a status"),
        ("facts: {}\n    expected: {}", "at least one programme"),
    ],
)
def test_a_reference_case_that_cannot_be_read_is_refused(case, expected):
    with pytest.raises(PolicyFileInvalid) as invalid:
        read_policy(f"reference_cases:\n  - name: {{zh-hans: 坏, en: Bad}}\n    {case}\n")
    assert expected in " ".join(invalid.value.errors)


def _programme_text(programme: Programme, until: str) -> str:
    return (
        f"programmes:\n  - {{id: {programme.slug}, kind: {programme.kind}, per: {programme.per}, "
        f"in_force_from: {programme.in_force_from.isoformat()}, in_force_until: {until}, "
        f"title: {{zh-hans: {programme.title_zh}, en: x}}}}\n"
    )


def test_a_programmes_declared_end_is_imported_and_exported_but_never_moved_once_it_came():
    programme = Programme.objects.get(slug="startup-loan")
    import_policy(read_policy(_programme_text(programme, day(30))))
    programme.refresh_from_db()
    assert programme.in_force_until.isoformat() == day(30)
    assert f"in_force_until: {day(30)}" in export_policy()
    with pytest.raises(PolicyFileInvalid) as invalid:
        import_policy(read_policy(_programme_text(programme, day(-1))))
    assert "is today or earlier" in invalid.value.errors[0]
    Programme.objects.filter(pk=programme.pk).update(in_force_until=timezone.localdate())
    with pytest.raises(PolicyFileInvalid):
        import_policy(read_policy(_programme_text(programme, day(30))))
    with pytest.raises(PolicyFileInvalid) as invalid:
        read_policy(_programme_text(programme, "2020-01-01"))
    assert "before the date it is in force from" in invalid.value.errors[0]
