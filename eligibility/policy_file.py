"""The policy as a file (catalogue, section 6): reading, checking, importing, exporting.

Import rules, chosen so that importing never rewrites history:

* The whole file is checked first; if any part is invalid, nothing changes.
* A parameter that has no value yet gets the file's values at once, from any date
  (a new deployment, a new parameter: the catalogue's first load by the migrations).
* For a parameter that has values, a new value (or a different one for a date after
  today) becomes a *proposal* (issue 14, item 2): the same checks as in the policy
  console (from tomorrow to three years ahead, ``eligibility.cross_checks``), and
  another policy administrator approves it there. Each value may give its policy
  reference and reason (``{from: …, value: …, document: 000_….txt, clause: Seventh,
  reason: …}``); otherwise the parameter's source and the command's ``--reason``.
  With ``apply_directly`` (``--apply-directly``, for bootstrapping and tests) such a
  value is added, or changed, at once, after the same checks.
* A value already present for the same date with the same value is kept as it is,
  and so is one already proposed and awaiting approval.
* A value present for a date that is in force (today or earlier) but with a
  different value in the file is kept, with a warning: applications already
  decided keep their amounts. A new value dated today or earlier for a parameter
  that has values is not added, with a warning, for the same reason.
* Values and programmes that the file does not mention are left alone.
* A programme's kind, payment and in-force date cannot change (an error); its
  titles, summaries and sources are updated, and so is its declared end
  (``in_force_until``), unless the old or the new end is today or earlier.
* The ``lists`` section (incubator sites, training courses) adds the sites and
  courses that are new (a site is known by its Chinese name and address, a course
  by its Chinese name and start date); those already there are kept as they are,
  since cases may have been given them.
* The ``reference_cases`` section adds the reference cases that are new (known by
  their Chinese name); those already there are kept, as policy administrators may
  have edited them.

Exporting and importing the export changes nothing.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from eligibility import history
from eligibility.history import PolicyModels
from eligibility.parameter_cache import policy_version_bump
from eligibility.parameter_types import CodeSet, ParameterType, ParameterUnit, clean_value
from eligibility.rules import PROGRAMMES

SHIPPED_CATALOGUE = Path(__file__).resolve().parent / "policy" / "catalogue.yaml"
FORMAT = 1
LANGUAGES = ("zh-hans", "en")
_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_PROGRAMME_KINDS = (
    "monthly_cash",
    "one_off_cash",
    "loan",
    "service",
    "request",
    "training_place",
    "referral",
    "coverage_check",
    "rent_reduction",
    "tax_deduction",
)
_PROGRAMME_PER = ("month", "year", "once", "loan", "none")


class PolicyFileInvalid(Exception):
    """The file cannot be imported; ``errors`` lists every problem, each with its place in the file."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class ProgrammeSpec:
    slug: str
    kind: str
    per: str
    in_force_from: date
    title_zh: str
    title_en: str
    summary_zh: str
    summary_en: str
    sources: list[str]
    in_force_until: date | None = None


@dataclass
class ParameterSpec:
    key: str
    # Metadata; None where the file leaves it out (allowed for a parameter that exists).
    type: str | None
    unit: str | None
    code_set: str | None
    local_default: bool | None
    source: str | None
    description_zh: str | None
    description_en: str | None
    values: list[tuple[date, object]]  # (valid from, canonical stored value)
    # Per date: the policy reference and reason a value gives (document, clause, reason).
    references: dict[date, dict[str, str]] = field(default_factory=dict)


@dataclass
class SiteSpec:
    name_zh: str
    name_en: str
    address: str
    free_until: date
    active: bool


@dataclass
class CourseSpec:
    name_zh: str
    name_en: str
    starts_on: date
    place: str
    active: bool


@dataclass
class PolicyLists:
    incubator_sites: list[SiteSpec] = field(default_factory=list)
    training_courses: list[CourseSpec] = field(default_factory=list)


@dataclass
class ReferenceCaseSpec:
    name_zh: str
    name_en: str
    facts: dict
    expected: dict


@dataclass
class Policy:
    programmes: list[ProgrammeSpec]
    parameters: list[ParameterSpec]
    lists: PolicyLists = field(default_factory=PolicyLists)
    reference_cases: list[ReferenceCaseSpec] = field(default_factory=list)


@dataclass(frozen=True)
class ListModels:
    """The models of the lists policy admins keep; None from a migration state before they exist."""

    incubator_site: type
    training_course: type

    @classmethod
    def from_apps(cls, apps) -> "ListModels | None":
        try:
            return cls(
                incubator_site=apps.get_model("eligibility", "IncubatorSite"),
                training_course=apps.get_model("eligibility", "TrainingCourse"),
            )
        except LookupError:
            return None

    @classmethod
    def current(cls) -> "ListModels":
        from django.apps import apps

        return cls.from_apps(apps)


def _reference_case_model(apps):
    """The reference case model of ``apps``; None in a migration state before it exists."""
    try:
        return apps.get_model("eligibility", "ReferenceCase")
    except LookupError:
        return None


@dataclass
class ImportReport:
    programmes_created: list[str] = field(default_factory=list)
    programmes_updated: list[str] = field(default_factory=list)
    parameters_created: list[str] = field(default_factory=list)
    parameters_updated: list[str] = field(default_factory=list)
    values_added: list[str] = field(default_factory=list)
    values_changed: list[str] = field(default_factory=list)
    values_unchanged: int = 0
    sites_added: list[str] = field(default_factory=list)
    courses_added: list[str] = field(default_factory=list)
    reference_cases_added: list[str] = field(default_factory=list)
    proposals_created: list[str] = field(default_factory=list)
    proposals_waiting: int = 0  # values of the file already proposed and awaiting approval
    warnings: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.programmes_created
            or self.programmes_updated
            or self.parameters_created
            or self.parameters_updated
            or self.values_added
            or self.values_changed
            or self.sites_added
            or self.courses_added
            or self.reference_cases_added
            or self.proposals_created
        )


# --- Reading and checking -------------------------------------------------------------------


def read_policy(text: str) -> Policy:
    """Parses and checks a policy file; raises ``PolicyFileInvalid`` with every problem found."""
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as error:  # ValueError: an impossible date such as 2024-02-30
        raise PolicyFileInvalid([_("The file is not valid YAML: %(error)s") % {"error": error}]) from None
    errors: list[str] = []
    if not isinstance(data, dict):
        raise PolicyFileInvalid([_("The file must be a mapping with the sections programmes and parameters.")])
    unknown = sorted(set(map(str, data)) - {"format", "programmes", "parameters", "lists", "reference_cases"})
    if unknown:
        errors.append(_("Unknown sections: %(names)s.") % {"names": ", ".join(unknown)})
    if data.get("format", FORMAT) != FORMAT:
        errors.append(_("format: this portal reads format %(format)s.") % {"format": FORMAT})
    programmes = _read_programmes(data.get("programmes") or [], errors)
    parameters = _read_parameters(data.get("parameters") or {}, errors)
    lists = _read_lists(data.get("lists") or {}, errors)
    reference_cases = _read_reference_cases(data.get("reference_cases") or [], errors)
    if errors:
        raise PolicyFileInvalid(errors)
    return Policy(programmes, parameters, lists, reference_cases)


def _date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _texts(entry: dict, name: str, where: str, errors: list[str], *, required: bool) -> tuple[str, str] | None:
    texts = entry.get(name)
    if texts is None and not required:
        return None
    if not isinstance(texts, dict) or not all(isinstance(texts.get(lang), str) and texts[lang] for lang in LANGUAGES):
        errors.append(_("%(where)s.%(name)s: give zh-hans and en texts.") % {"where": where, "name": name})
        return None
    return texts["zh-hans"], texts["en"]


def _read_programmes(entries: object, errors: list[str]) -> list[ProgrammeSpec]:
    if not isinstance(entries, list):
        errors.append(_("programmes: must be a list."))
        return []
    specs, seen = [], set()
    for index, entry in enumerate(entries):
        where = f"programmes[{index}]"
        if not isinstance(entry, dict):
            errors.append(_("%(where)s: must be a mapping.") % {"where": where})
            continue
        slug = entry.get("id")
        if slug not in PROGRAMMES:
            errors.append(
                _("%(where)s.id: %(id)s is not a programme with rules in this portal.") % {"where": where, "id": slug}
            )
            continue
        where = f"programmes.{slug}"
        if slug in seen:
            errors.append(_("%(where)s: appears twice.") % {"where": where})
        seen.add(slug)
        before = len(errors)
        if entry.get("kind") not in _PROGRAMME_KINDS:
            errors.append(
                _("%(where)s.kind: one of %(allowed)s.") % {"where": where, "allowed": ", ".join(_PROGRAMME_KINDS)}
            )
        if entry.get("per") != PROGRAMMES[slug].per:
            errors.append(
                _("%(where)s.per: the rules of this programme pay %(per)s.")
                % {"where": where, "per": PROGRAMMES[slug].per}
            )
        in_force_from = _date(entry.get("in_force_from"))
        if in_force_from is None:
            errors.append(_("%(where)s.in_force_from: a date as YYYY-MM-DD.") % {"where": where})
        in_force_until = _date(entry.get("in_force_until"))
        if entry.get("in_force_until") is not None and in_force_until is None:
            errors.append(_("%(where)s.in_force_until: a date as YYYY-MM-DD.") % {"where": where})
        elif in_force_until and in_force_from and in_force_until < in_force_from:
            errors.append(_("%(where)s.in_force_until: before the date it is in force from.") % {"where": where})
        title = _texts(entry, "title", where, errors, required=True)
        summary = _texts(entry, "summary", where, errors, required=False) or ("", "")
        sources = entry.get("sources", [])
        if not isinstance(sources, list) or not all(isinstance(source, str) for source in sources):
            errors.append(_("%(where)s.sources: a list of file names.") % {"where": where})
        if len(errors) == before:
            specs.append(
                ProgrammeSpec(
                    slug, entry["kind"], entry["per"], in_force_from, *title, *summary, list(sources), in_force_until
                )
            )
    return specs


def _read_parameters(entries: object, errors: list[str]) -> list[ParameterSpec]:
    if not isinstance(entries, dict):
        errors.append(_("parameters: must be a mapping of keys to parameters."))
        return []
    specs = []
    for key, entry in entries.items():
        where = f"parameters.{key}"
        if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
            errors.append(_("%(where)s: a key looks like si.subsidy_rate.") % {"where": where})
            continue
        if not isinstance(entry, dict):
            errors.append(_("%(where)s: must be a mapping.") % {"where": where})
            continue
        before = len(errors)
        type_ = entry.get("type")
        if type_ is not None and type_ not in ParameterType.values:
            errors.append(
                _("%(where)s.type: one of %(allowed)s.") % {"where": where, "allowed": ", ".join(ParameterType.values)}
            )
        unit = entry.get("unit")
        if unit is not None and unit not in ParameterUnit.values:
            errors.append(
                _("%(where)s.unit: one of %(allowed)s.") % {"where": where, "allowed": ", ".join(ParameterUnit.values)}
            )
        code_set = entry.get("code_set")
        if code_set is not None and code_set not in CodeSet.values:
            errors.append(
                _("%(where)s.code_set: one of %(allowed)s.") % {"where": where, "allowed": ", ".join(CodeSet.values)}
            )
        local_default = entry.get("local_default")
        if local_default is not None and not isinstance(local_default, bool):
            errors.append(_("%(where)s.local_default: true or false.") % {"where": where})
        source = entry.get("source")
        if source is not None and not isinstance(source, str):
            errors.append(_("%(where)s.source: a text.") % {"where": where})
        description = _texts(entry, "description", where, errors, required=False) or (None, None)
        values = _read_values(entry.get("values"), type_, code_set or "", where, errors)
        references = _read_references(entry.get("values"), where, errors)
        if len(errors) == before:
            specs.append(
                ParameterSpec(key, type_, unit, code_set, local_default, source, *description, values, references)
            )
    return specs


def _read_values(entries: object, type_: str | None, code_set: str, where: str, errors: list[str]) -> list:
    if not isinstance(entries, list) or not entries:
        errors.append(_("%(where)s.values: a list of {from: date, value: ...}.") % {"where": where})
        return []
    values, dates = [], set()
    for index, entry in enumerate(entries):
        place = f"{where}.values[{index}]"
        valid_from = _date(entry.get("from")) if isinstance(entry, dict) else None
        if valid_from is None or "value" not in entry:
            errors.append(_("%(where)s: give from (a date as YYYY-MM-DD) and value.") % {"where": place})
            continue
        if valid_from in dates:
            errors.append(_("%(where)s: a second value from %(date)s.") % {"where": place, "date": valid_from})
            continue
        dates.add(valid_from)
        if type_ is None:  # checked against the type in the database, in plan_import
            values.append((valid_from, entry["value"]))
            continue
        try:
            values.append((valid_from, clean_value(type_, entry["value"], code_set=code_set)))
        except ValidationError as error:
            errors.append(f"{place}: {' '.join(error.messages)}")
    return sorted(values, key=lambda value: value[0])


_REFERENCE_FIELDS = ("document", "clause", "reason")


def _read_references(entries: object, where: str, errors: list[str]) -> dict[date, dict[str, str]]:
    """The policy reference and reason each value gives, by its date (for the proposals it becomes)."""
    found: dict[date, dict[str, str]] = {}
    if not isinstance(entries, list):
        return found
    for index, entry in enumerate(entries):
        valid_from = _date(entry.get("from")) if isinstance(entry, dict) else None
        if valid_from is None:
            continue
        unknown = sorted(set(map(str, entry)) - {"from", "value", *_REFERENCE_FIELDS})
        if unknown:
            errors.append(
                _("%(where)s: unknown fields: %(names)s.")
                % {"where": f"{where}.values[{index}]", "names": ", ".join(unknown)}
            )
        given = {name: entry[name] for name in _REFERENCE_FIELDS if entry.get(name) is not None}
        if not all(isinstance(value, str) for value in given.values()):
            errors.append(
                _("%(where)s: document, clause and reason are texts.") % {"where": f"{where}.values[{index}]"}
            )
            continue
        if given:
            found[valid_from] = {name: value.strip() for name, value in given.items()}
    return found


def _read_reference_cases(entries: object, errors: list[str]) -> list[ReferenceCaseSpec]:
    from eligibility.reference_cases import expected_errors, facts_errors

    if not isinstance(entries, list):
        errors.append(_("reference_cases: must be a list."))
        return []
    specs, seen = [], set()
    for index, entry in enumerate(entries):
        where = f"reference_cases[{index}]"
        if not isinstance(entry, dict):
            errors.append(_("%(where)s: must be a mapping.") % {"where": where})
            continue
        unknown = sorted(set(map(str, entry)) - {"name", "facts", "expected"})
        if unknown:
            errors.append(_("%(where)s: unknown fields: %(names)s.") % {"where": where, "names": ", ".join(unknown)})
            continue
        before = len(errors)
        name = _texts(entry, "name", where, errors, required=True)
        facts, expected = entry.get("facts") or {}, entry.get("expected")
        for fact, messages in facts_errors(facts).items():
            errors.append(f"{where}.facts.{fact}: {' '.join(messages)}")
        errors.extend(f"{where}.expected: {problem}" for problem in expected_errors(expected))
        if len(errors) == before:
            if name[0] in seen:
                errors.append(_("%(where)s: appears twice.") % {"where": where})
                continue
            seen.add(name[0])
            specs.append(ReferenceCaseSpec(*name, facts, expected))
    return specs


def _text(entry: dict, name: str, where: str, errors: list[str]) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not value.strip():
        errors.append(_("%(where)s.%(name)s: a text.") % {"where": where, "name": name})
        return ""
    return value.strip()


def _list_entries(entries: object, name: str, fields: set[str], errors: list[str]):
    """(place, entry) of each mapping of ``lists.<name>``, with an error for what is not one."""
    if not isinstance(entries, list):
        errors.append(_("lists.%(name)s: must be a list.") % {"name": name})
        return
    for index, entry in enumerate(entries):
        where = f"lists.{name}[{index}]"
        if not isinstance(entry, dict):
            errors.append(_("%(where)s: must be a mapping.") % {"where": where})
            continue
        unknown = sorted(set(map(str, entry)) - fields)
        if unknown:
            errors.append(_("%(where)s: unknown fields: %(names)s.") % {"where": where, "names": ", ".join(unknown)})
            continue
        yield where, entry


def _active(entry: dict, where: str, errors: list[str]) -> bool:
    active = entry.get("active", True)
    if not isinstance(active, bool):
        errors.append(_("%(where)s.active: true or false.") % {"where": where})
    return bool(active)


def _read_lists(data: object, errors: list[str]) -> PolicyLists:
    lists = PolicyLists()
    if not isinstance(data, dict):
        errors.append(_("lists: must be a mapping with incubator_sites and training_courses."))
        return lists
    unknown = sorted(set(map(str, data)) - {"incubator_sites", "training_courses"})
    if unknown:
        errors.append(_("lists: unknown lists: %(names)s.") % {"names": ", ".join(unknown)})
    seen: set[tuple] = set()
    site_fields = {"name", "address", "free_until", "active"}
    for where, entry in _list_entries(data.get("incubator_sites") or [], "incubator_sites", site_fields, errors):
        before = len(errors)
        name = _texts(entry, "name", where, errors, required=True)
        address = _text(entry, "address", where, errors)
        free_until = _date(entry.get("free_until"))
        if free_until is None:
            errors.append(_("%(where)s.free_until: a date as YYYY-MM-DD.") % {"where": where})
        active = _active(entry, where, errors)
        if len(errors) == before:
            if ("site", name[0], address) in seen:
                errors.append(_("%(where)s: appears twice.") % {"where": where})
                continue
            seen.add(("site", name[0], address))
            lists.incubator_sites.append(SiteSpec(*name, address, free_until, active))
    course_fields = {"name", "starts_on", "place", "active"}
    for where, entry in _list_entries(data.get("training_courses") or [], "training_courses", course_fields, errors):
        before = len(errors)
        name = _texts(entry, "name", where, errors, required=True)
        starts_on = _date(entry.get("starts_on"))
        if starts_on is None:
            errors.append(_("%(where)s.starts_on: a date as YYYY-MM-DD.") % {"where": where})
        place = _text(entry, "place", where, errors)
        active = _active(entry, where, errors)
        if len(errors) == before:
            if ("course", name[0], starts_on) in seen:
                errors.append(_("%(where)s: appears twice.") % {"where": where})
                continue
            seen.add(("course", name[0], starts_on))
            lists.training_courses.append(CourseSpec(*name, starts_on, place, active))
    return lists


# --- Importing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ValueMode:
    """How new values of parameters that have values are imported."""

    direct: bool  # added (or changed) at once; else proposed
    checked: bool  # checked as in the console: date window and cross-checks (project models only)
    reason: str  # the reason of proposals whose value gives none


def import_policy(
    policy: Policy,
    *,
    models: PolicyModels | None = None,
    acting_user=None,
    origin: str = "import",
    dry_run: bool = False,
    list_models: ListModels | None = None,
    apply_directly: bool = False,
    reason: str = "",
    reference_case_model=None,
) -> ImportReport:
    """Brings the database in line with ``policy`` under the rules of this module's docstring.

    Atomic: raises ``PolicyFileInvalid`` and changes nothing when the file
    contradicts the database (a type or a programme's in-force date differs) or a
    new value fails the checks of a proposal.
    With ``dry_run``, reports what would change and changes nothing.
    ``list_models`` (and ``reference_case_model``) default to the project's models when
    ``models`` does; a data migration passes its own (None before the lists exist: they
    are left out), and its values are added directly, unchecked (the catalogue's load).
    """
    migrating = models is not None
    if models is None:
        models = PolicyModels.current()
        list_models = list_models or ListModels.current()
        from django.apps import apps

        reference_case_model = reference_case_model or _reference_case_model(apps)
    mode = _ValueMode(direct=apply_directly or migrating, checked=not migrating, reason=(reason or "").strip())
    with transaction.atomic():
        report = _apply(policy, models, acting_user, origin, mode)
        if list_models is not None:
            _lists_import(policy.lists, list_models, report)
        if reference_case_model is not None:
            _reference_cases_import(policy.reference_cases, reference_case_model, report)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _apply(policy: Policy, models: PolicyModels, acting_user, origin: str, mode: _ValueMode) -> ImportReport:
    report, errors = ImportReport(), []
    policy_version_bump()  # programmes and parameters may change: cached parameter sets go on commit
    existing_programmes = {row.slug: row for row in models.programme.objects.all()}
    next_position = max((row.position for row in existing_programmes.values()), default=0) + 1
    today = history.today()
    has_end = any(field.name == "in_force_until" for field in models.programme._meta.get_fields())
    for spec in policy.programmes:
        row = existing_programmes.get(spec.slug)
        if row is None:
            models.programme.objects.create(
                slug=spec.slug,
                position=next_position,
                kind=spec.kind,
                per=spec.per,
                in_force_from=spec.in_force_from,
                title_zh=spec.title_zh,
                title_en=spec.title_en,
                summary_zh=spec.summary_zh,
                summary_en=spec.summary_en,
                sources=spec.sources,
                **({"in_force_until": spec.in_force_until} if has_end else {}),
            )
            next_position += 1
            report.programmes_created.append(spec.slug)
            continue
        for name in ("kind", "per", "in_force_from"):
            if getattr(row, name) != getattr(spec, name):
                errors.append(
                    _("programmes.%(id)s.%(name)s: is %(current)s and cannot change.")
                    % {"id": spec.slug, "name": name, "current": getattr(row, name)}
                )
        texts = ["title_zh", "title_en", "summary_zh", "summary_en", "sources"]
        if has_end and row.in_force_until != spec.in_force_until:
            ended = [end for end in (row.in_force_until, spec.in_force_until) if end is not None and end <= today]
            if ended:
                errors.append(
                    _("programmes.%(id)s.in_force_until: an end on %(date)s is today or earlier and cannot change.")
                    % {"id": spec.slug, "date": ended[0].isoformat()}
                )
            else:
                texts.append("in_force_until")
        changed = [name for name in texts if getattr(row, name) != getattr(spec, name)]
        if changed:
            for name in changed:
                setattr(row, name, getattr(spec, name))
            row.save(update_fields=changed)
            report.programmes_updated.append(spec.slug)

    existing_parameters = {row.key: row for row in models.parameter.objects.all()}
    for spec in policy.parameters:
        parameter = existing_parameters.get(spec.key)
        if parameter is None:
            parameter = _parameter_create(spec, models, errors)
            if parameter is None:
                continue
            report.parameters_created.append(spec.key)
        elif not _parameter_update(parameter, spec, errors, report):
            continue
        _values_import(parameter, spec, models, acting_user, origin, today, report, errors, mode)
    if errors:
        raise PolicyFileInvalid(errors)
    return report


def _parameter_create(spec: ParameterSpec, models: PolicyModels, errors: list[str]):
    if spec.type is None or spec.description_zh is None:
        errors.append(_("parameters.%(key)s: a new parameter needs type and description.") % {"key": spec.key})
        return None
    if (spec.type == ParameterType.CODE_LIST) != bool(spec.code_set):
        errors.append(_("parameters.%(key)s.code_set: needed for a code_list, and only then.") % {"key": spec.key})
        return None
    return models.parameter.objects.create(
        key=spec.key,
        type=spec.type,
        unit=spec.unit or "",
        code_set=spec.code_set or "",
        local_default=bool(spec.local_default),
        source=spec.source or "",
        description_zh=spec.description_zh,
        description_en=spec.description_en,
    )


def _parameter_update(parameter, spec: ParameterSpec, errors: list[str], report: ImportReport) -> bool:
    """Updates what describes a parameter; its type and codes cannot change. False on error."""
    for name in ("type", "code_set"):
        given = getattr(spec, name)
        if given is not None and given != getattr(parameter, name):
            errors.append(
                _("parameters.%(key)s.%(name)s: is %(current)s and cannot change.")
                % {"key": spec.key, "name": name, "current": getattr(parameter, name) or '""'}
            )
            return False
    described = ("unit", "local_default", "source", "description_zh", "description_en")
    changed = [
        name
        for name in described
        if getattr(spec, name) is not None and getattr(spec, name) != getattr(parameter, name)
    ]
    if changed:
        for name in changed:
            setattr(parameter, name, getattr(spec, name))
        parameter.save(update_fields=changed)
        report.parameters_updated.append(spec.key)
    return True


def _values_import(parameter, spec, models, acting_user, origin, today, report, errors, mode: _ValueMode) -> None:
    rows = {row.valid_from: row for row in models.parameter_value.objects.filter(parameter=parameter)}
    had_values = bool(rows)
    for valid_from, raw in spec.values:
        place = f"parameters.{spec.key} {valid_from.isoformat()}"
        try:
            value = clean_value(parameter.type, raw, code_set=parameter.code_set)
        except ValidationError as error:
            errors.append(f"{place}: {' '.join(error.messages)}")
            continue
        row = rows.get(valid_from)
        if row is not None and row.value == value:
            report.values_unchanged += 1
        elif row is not None and history.is_in_force(valid_from, on=today):
            report.warnings.append(
                _("%(place)s: kept %(current)s, the value in force; the file's %(value)s was not imported.")
                % {"place": place, "current": row.value, "value": value}
            )
        elif had_values and row is None and history.is_in_force(valid_from, on=today):
            report.warnings.append(
                _("%(place)s: not added; a value from today or earlier would change history.") % {"place": place}
            )
        elif had_values and not mode.direct:
            _propose(parameter, spec, valid_from, value, acting_user, place, report, errors, mode)
        elif had_values and mode.checked and not _passes_checks(parameter, valid_from, value, place, errors):
            continue
        elif row is not None:
            history.value_change(models, row=row, value=value, acting_user=acting_user, note="", origin=origin)
            report.values_changed.append(place)
        else:
            history.value_add(
                models,
                parameter=parameter,
                valid_from=valid_from,
                value=value,
                acting_user=acting_user,
                note="",
                origin=origin,
                had_values=had_values,
            )
            report.values_added.append(place)


def _messages(error: ValidationError) -> str:
    found = error.message_dict.values() if hasattr(error, "error_dict") else [error.messages]
    return " ".join(message for messages in found for message in messages)


def _passes_checks(parameter, valid_from: date, value, place: str, errors: list[str]) -> bool:
    """The checks of a proposal, for a value imported directly: at most three years ahead, no contradiction."""
    from eligibility.cross_checks import value_problems
    from eligibility.services import latest_start

    problems = value_problems(parameter=parameter, stored=value, valid_from=valid_from)
    if valid_from > latest_start():
        problems.insert(0, _("a new value can take effect at most three years ahead."))
    errors.extend(f"{place}: {problem}" for problem in problems)
    return not problems


def source_reference(source: str) -> tuple[str, str]:
    """(document, clause) of a parameter's source as the catalogue writes it (``000 "Seventh"; 001 2.(2)``):
    the first document named, as its file name, and its clause; a text naming none is the document."""
    from eligibility.console.sources import cited_sources

    cited = cited_sources(source)
    if not cited:
        return "local setting", ""
    return cited[0].document, cited[0].clause


def _propose(parameter, spec, valid_from: date, value, acting_user, place: str, report, errors, mode) -> None:
    from eligibility.models import ParameterProposal
    from eligibility.services import parameter_proposal_create

    waiting = ParameterProposal.objects.filter(
        parameter=parameter, valid_from=valid_from, state=ParameterProposal.State.PROPOSED
    ).first()
    if waiting is not None and waiting.value == value:
        report.proposals_waiting += 1
        return
    given = spec.references.get(valid_from, {})
    document, clause = source_reference(parameter.source)
    if given.get("document"):
        document, clause = given["document"], given.get("clause", "")
    reason = given.get("reason") or mode.reason
    if not reason:
        errors.append(
            _("%(place)s: give the reason of the change (reason: in the file, or --reason).") % {"place": place}
        )
        return
    try:
        parameter_proposal_create(
            parameter=parameter,
            valid_from=valid_from,
            value=value,
            reference_document=document,
            reference_clause=clause,
            reason=reason,
            acting_user=acting_user,
            origin=ParameterProposal.Origin.IMPORT,
        )
    except ValidationError as error:
        errors.append(f"{place}: {_messages(error)}")
        return
    report.proposals_created.append(place)


def _lists_import(lists: PolicyLists, models: ListModels, report: ImportReport) -> None:
    """Adds the sites and courses that are new; those already there are kept as they are."""
    sites = set(models.incubator_site.objects.values_list("name_zh", "address"))
    for spec in lists.incubator_sites:
        if (spec.name_zh, spec.address) in sites:
            continue
        models.incubator_site.objects.create(
            name_zh=spec.name_zh,
            name_en=spec.name_en,
            address=spec.address,
            free_until=spec.free_until,
            active=spec.active,
        )
        report.sites_added.append(spec.name_zh)
    courses = set(models.training_course.objects.values_list("name_zh", "starts_on"))
    for spec in lists.training_courses:
        if (spec.name_zh, spec.starts_on) in courses:
            continue
        models.training_course.objects.create(
            name_zh=spec.name_zh,
            name_en=spec.name_en,
            starts_on=spec.starts_on,
            place=spec.place,
            active=spec.active,
        )
        report.courses_added.append(f"{spec.name_zh} {spec.starts_on.isoformat()}")


def _reference_cases_import(cases: list[ReferenceCaseSpec], model, report: ImportReport) -> None:
    """Adds the reference cases that are new; those already there are kept as they are."""
    known = set(model.objects.values_list("name_zh", flat=True))
    for spec in cases:
        if spec.name_zh in known:
            continue
        model.objects.create(name_zh=spec.name_zh, name_en=spec.name_en, facts=spec.facts, expected=spec.expected)
        report.reference_cases_added.append(spec.name_zh)


def load_shipped_reference_cases(apps, schema_editor) -> None:
    """Data migration: the reference cases of ``policy/catalogue.yaml`` (its boundaries)."""
    policy = read_policy(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    policy.programmes, policy.parameters, policy.lists = [], [], PolicyLists()
    import_policy(
        policy,
        models=PolicyModels.from_apps(apps),
        origin="catalogue",
        list_models=None,
        reference_case_model=_reference_case_model(apps),
    )


def load_shipped_catalogue(apps, schema_editor) -> None:
    """Data migration: loads ``policy/catalogue.yaml`` into a fresh database (its lists
    too, once the migration state has them)."""
    policy = read_policy(SHIPPED_CATALOGUE.read_text(encoding="utf-8"))
    import_policy(
        policy, models=PolicyModels.from_apps(apps), origin="catalogue", list_models=ListModels.from_apps(apps)
    )


# --- Exporting -------------------------------------------------------------------------------------


class _Flow(dict):
    pass


class _FlowList(list):
    pass


class _Quoted(str):
    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)
_Dumper.add_representer(
    _FlowList, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
)
_Dumper.add_representer(_Quoted, lambda dumper, data: dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"'))


def export_policy(*, models: PolicyModels | None = None, list_models: ListModels | None = None) -> str:
    """Every programme and every parameter with its full history, and the lists, as a policy file."""
    if models is None:
        models = PolicyModels.current()
        list_models = list_models or ListModels.current()
    programmes = []
    for row in models.programme.objects.order_by("position", "slug"):
        entry = {"id": row.slug, "kind": row.kind, "per": row.per, "in_force_from": row.in_force_from}
        if getattr(row, "in_force_until", None):
            entry["in_force_until"] = row.in_force_until
        entry.update(
            {
                "title": {"zh-hans": row.title_zh, "en": row.title_en},
                "summary": {"zh-hans": row.summary_zh, "en": row.summary_en},
                "sources": _FlowList(row.sources),
            }
        )
        programmes.append(entry)
    parameters = {}
    values = models.parameter_value.objects.order_by("valid_from")
    for row in models.parameter.objects.order_by("key").prefetch_related(Prefetch("values", queryset=values)):
        entry = {"type": row.type, "unit": row.unit}
        if row.code_set:
            entry["code_set"] = row.code_set
        entry.update(
            {
                "local_default": row.local_default,
                "source": row.source,
                "description": {"zh-hans": row.description_zh, "en": row.description_en},
                "values": [
                    _Flow({"from": value.valid_from, "value": _exported(value.value)}) for value in row.values.all()
                ],
            }
        )
        parameters[row.key] = entry
    document = {"format": FORMAT, "programmes": programmes, "parameters": parameters}
    if list_models is not None:
        document["lists"] = _exported_lists(list_models)
        from django.apps import apps

        case_model = _reference_case_model(apps)
        if case_model is not None and case_model.objects.exists():
            document["reference_cases"] = [
                {
                    "name": _Flow({"zh-hans": row.name_zh, "en": row.name_en}),
                    "facts": _Flow(row.facts),
                    "expected": {slug: _Flow(entry) for slug, entry in row.expected.items()},
                }
                for row in case_model.objects.order_by("pk")
            ]
    header = "# Linghuo policy file: programmes and parameters with their full history.\n"
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=1000,
    )
    return header + body


def _exported_lists(models: ListModels) -> dict:
    return {
        "incubator_sites": [
            {
                "name": _Flow({"zh-hans": row.name_zh, "en": row.name_en}),
                "address": row.address,
                "free_until": row.free_until,
                "active": row.active,
            }
            for row in models.incubator_site.objects.order_by("name_zh", "pk")
        ],
        "training_courses": [
            {
                "name": _Flow({"zh-hans": row.name_zh, "en": row.name_en}),
                "starts_on": row.starts_on,
                "place": row.place,
                "active": row.active,
            }
            for row in models.training_course.objects.order_by("starts_on", "name_zh", "pk")
        ],
    }


def _exported(value: object) -> object:
    return _FlowList(value) if isinstance(value, list) else _Quoted(value)
