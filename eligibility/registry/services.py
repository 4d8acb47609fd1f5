"""Writes to the registry: an upload, its import, a department's deletions, and every use audited.

The import reads a department's file in batches of ``BATCH_ROWS`` rows, one
transaction each, and writes the processed count after each, so the page can
show progress. Each row is checked with the API's fact parser
(``eligibility.facts.parse_facts``) after its cells are turned into the wire
form, its identity number with ``applications.id_numbers``; a row that fails is
recorded as an ``ImportProblem`` with its line and a reason, never dropped.

Merging (issue 12, item 1): a person is one identity number (its keyed hash).
For each fact and contact detail the value recorded on the latest date wins,
whoever sent it, and it keeps ``{"source", "on"}``; on the same date the later
line wins. ``action=delete`` removes what that department sent about the
person, and the person once no department's data is left (item 8).

Audit codes: an import is recorded as ``REGISTRY_IMPORTED`` (when it starts and when it
ends), a department's deletion as ``REGISTRY_ROWS_DELETED`` and a look-up as
``REGISTRY_VIEWED``, with ``details["registry"]`` naming what happened; the audit page
reads them as sentences (``applications.audit_wording``).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from applications.crypto import keyed_hash
from applications.id_numbers import birth_date_of, validate_id_number
from applications.models import AuditEntry
from applications.services.audit import audit_record
from eligibility.facts import (
    FACT_FIELDS,
    FactsInvalid,
    future_date_errors,
    parse_as_of,
    parse_facts,
)
from eligibility.registry import reading
from eligibility.registry.models import ImportProblem, RegistryImport, RegistryPerson, SourceDepartment
from portal.accounts.identifiers import MOBILE_RE, normalise_mobile
from portal.celery import enqueue_on_commit

logger = logging.getLogger(__name__)

BATCH_ROWS = 2000
UPLOAD_FOLDER = "registry"
SOURCE_CODES = frozenset(SourceDepartment.values)
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)
DELETE_ACTION = "delete"
REGISTRY_TASK = "registry.registry_import_task"


def _audit(*, actor, action: str, details: dict, request=None) -> None:
    audit_record(actor=actor, action=action, details={"registry": details.pop("event"), **details}, request=request)


# --- Upload ------------------------------------------------------------------------------------


def registry_import_create(
    *, name: str, data: bytes, source: str, uploaded_by=None, language: str | None = None, enqueue: bool = True
) -> RegistryImport:
    """Checks the file (``reading.RegistryFileInvalid`` says why it cannot be imported), stores it
    encrypted and queues its import once the transaction commits."""
    if source not in SourceDepartment.values:
        raise reading.RegistryFileInvalid(_("Choose the department the file comes from."))
    opened = reading.registry_file_open(name=name, data=data)
    with transaction.atomic():
        registry_import = RegistryImport.objects.create(
            source=source,
            file_name=name[-255:],
            uploaded_by=uploaded_by if uploaded_by is not None and uploaded_by.is_authenticated else None,
            total=opened.total,
            language=language or translation.get_language() or settings.LANGUAGE_CODE,
        )
        # Encrypted at rest by the default storage (applications.storage); deleted once imported.
        stored = default_storage.save(f"{UPLOAD_FOLDER}/import-{registry_import.pk}.bin", ContentFile(data))
        RegistryImport.objects.filter(pk=registry_import.pk).update(stored_file=stored)
        registry_import.stored_file = stored
        if enqueue:
            enqueue_on_commit(REGISTRY_TASK, registry_import.pk)
    return registry_import


# --- One row -------------------------------------------------------------------------------------


@dataclass
class Row:
    line: int
    id_number: str
    id_hash: str
    source: str
    on: str  # YYYY-MM-DD
    delete: bool
    facts: dict  # wire form, only the facts the row gives
    details: dict  # full_name, mobile, email, language: only those given


class RowRejected(Exception):
    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems


def _row_read(line: int, cells: dict, *, default_source: str, default_on: date, today: date) -> Row:
    """The row checked and in wire form; ``RowRejected`` lists every problem of it."""
    problems: list[tuple[str, str]] = []

    raw_id = reading.cell_text(cells.get(reading.IDENTITY_COLUMN))
    id_number = ""
    if not raw_id:
        problems.append((reading.IDENTITY_COLUMN, _("The identity number is missing.")))

    action = reading.cell_text(cells.get("action")).lower()
    if action not in ("", DELETE_ACTION):
        problems.append(("action", _('Leave the action empty, or write "%(delete)s".') % {"delete": DELETE_ACTION}))

    source = reading.cell_text(cells.get("source")) or default_source
    if source not in SOURCE_CODES:
        problems.append(
            ("source", _("Unknown department; use one of %(codes)s.") % {"codes": ", ".join(SourceDepartment.values)})
        )

    on = default_on
    date_column = "recorded_on" if "recorded_on" in cells else "as_of"
    raw_on = reading.cell_text(cells.get(date_column))
    if raw_on:
        try:
            on = parse_as_of(raw_on)
        except FactsInvalid as invalid:
            problems.append((date_column, " ".join(invalid.errors["as_of"])))
        else:
            if on > today:
                problems.append((date_column, _("The date must be today or in the past.")))

    wire: dict[str, object] = {}
    for name, fact in FACT_FIELDS.items():
        if name not in cells:
            continue
        cell = cells[name]
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            continue  # blank: the department does not know
        wire[name] = reading.wire_value(fact.type, cell)
    facts = None
    try:
        facts = parse_facts(wire)
    except FactsInvalid as invalid:
        problems.extend((name, " ".join(messages)) for name, messages in invalid.errors.items())
    for name, messages in future_date_errors(wire, today=today).items():
        problems.append((name, " ".join(messages)))

    if raw_id:
        birth_date = facts.get("birth_date") if facts is not None else None
        try:
            id_number = validate_id_number(raw_id, birth_date=birth_date, today=today)
        except ValidationError as invalid:
            problems.append((reading.IDENTITY_COLUMN, " ".join(invalid.messages)))

    details: dict[str, str] = {}
    full_name = reading.cell_text(cells.get("full_name"))
    if full_name:
        if len(full_name) > 100:
            problems.append(("full_name", _("A name has at most 100 characters.")))
        details["full_name"] = full_name
    mobile = normalise_mobile(reading.cell_text(cells.get("mobile")))
    if mobile:
        if not MOBILE_RE.match(mobile):
            problems.append(
                ("mobile", _("Enter an 11-digit mainland mobile number starting with 1, for example 13812345678."))
            )
        details["mobile"] = mobile
    email = reading.cell_text(cells.get("email"))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(("email", _("Enter a valid e-mail address.")))
        details["email"] = email
    language = reading.cell_text(cells.get("language")).lower()
    if language:
        if language not in LANGUAGE_CODES:
            problems.append(
                (
                    "language",
                    _("Unknown language; use one of %(codes)s.") % {"codes": ", ".join(sorted(LANGUAGE_CODES))},
                )
            )
        details["language"] = language

    if problems:
        raise RowRejected(problems)
    wire_facts = {name: value for name, value in facts.to_json().items() if name in wire}
    if "birth_date" not in wire_facts and action != DELETE_ACTION:
        # The identity number says when the person was born: the department knows it as surely.
        wire_facts["birth_date"] = birth_date_of(id_number).isoformat()
    return Row(
        line=line,
        id_number=id_number,
        id_hash=keyed_hash(id_number),
        source=source,
        on=on.isoformat(),
        delete=action == DELETE_ACTION,
        facts=wire_facts,
        details=details,
    )


def _newer(current: dict | None, on: str) -> bool:
    """Whether a value recorded ``on`` replaces the one recorded as ``current`` (the same date: the later line)."""
    return current is None or current["on"] <= on


def _merge(person: RegistryPerson, row: Row) -> tuple[dict, dict, dict]:
    facts = dict(person.facts or {})
    fact_sources = dict(person.fact_sources or {})
    for name, value in row.facts.items():
        if _newer(fact_sources.get(name), row.on):
            facts[name] = value
            fact_sources[name] = {"source": row.source, "on": row.on}
    detail_sources = dict(person.detail_sources or {})
    for name, value in row.details.items():
        if _newer(detail_sources.get(name), row.on):
            setattr(person, name, value)
            detail_sources[name] = {"source": row.source, "on": row.on}
    return facts, fact_sources, detail_sources


def _remove_source(person: RegistryPerson, source: str) -> list[str]:
    """Removes what ``source`` sent about the person; the names of the facts and details removed."""
    removed = [name for name, origin in (person.fact_sources or {}).items() if origin["source"] == source]
    person.facts = {name: value for name, value in person.facts.items() if name not in removed}
    person.fact_sources = {name: origin for name, origin in person.fact_sources.items() if name not in removed}
    details = [name for name, origin in (person.detail_sources or {}).items() if origin["source"] == source]
    for name in details:
        setattr(person, name, "zh-hans" if name == "language" else "")
    person.detail_sources = {name: origin for name, origin in person.detail_sources.items() if name not in details}
    return removed + details


# --- The import ------------------------------------------------------------------------------------

PERSON_FIELDS = ["facts", "fact_sources", "detail_sources", "full_name", "mobile", "email", "language", "updated_at"]


def _persons_insert(persons: list[RegistryPerson]) -> None:
    """Inserts new persons: one parameterised INSERT run for all of them, each value prepared by
    its field as ``Model.save`` would (``pre_save`` sets the keyed hash and the timestamps).

    On PostgreSQL ``bulk_create`` sends the rows as UNNEST arrays, and escaping the quotes of
    the JSON columns inside them took 40 % of an import."""
    meta = RegistryPerson._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    # Only names from the model's metadata, quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    params = [
        [field.get_db_prep_save(field.pre_save(person, True), connection) for field in fields] for person in persons
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _persons_update(persons: list[RegistryPerson]) -> None:
    """Writes the merged persons back: one parameterised UPDATE run for all of them.

    ``bulk_update`` builds a CASE per field over the whole batch and imported 250 rows/s
    on PostgreSQL; this is the same write, each value prepared by its own field (so
    encrypted fields encrypt and JSON is adapted as the ORM does), at the speed of inserts.
    """
    meta = RegistryPerson._meta
    fields = [meta.get_field(name) for name in PERSON_FIELDS]
    quote = connection.ops.quote_name
    # Only names from the model's metadata, quoted; every value is a parameter.
    columns = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = (
        f"UPDATE {quote(meta.db_table)} SET {columns} "  # noqa: S608
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    params = [
        [field.get_db_prep_save(getattr(person, field.attname), connection) for field in fields] + [person.pk]
        for person in persons
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


class _Batch:
    """One transaction's worth of rows: persons loaded once, merged in line order, written in bulk."""

    def __init__(self, registry_import: RegistryImport, rows: list[Row], problems: list[ImportProblem]):
        self.registry_import = registry_import
        self.rows = rows
        self.problems = problems
        self.created = self.updated = self.deleted = self.rejected = 0

    def problem(self, line: int, field: str, message: str) -> None:
        self.problems.append(
            ImportProblem(registry_import_id=self.registry_import.pk, line=line, field=field, message=message)
        )

    def write(self) -> None:
        hashes = {row.id_hash for row in self.rows}
        persons = {person.id_number_hash: person for person in RegistryPerson.objects.filter(id_number_hash__in=hashes)}
        changed: dict[str, RegistryPerson] = {}
        gone: list[tuple[RegistryPerson, Row, list[str]]] = []
        rejected_lines: set[int] = set()
        for row in self.rows:
            person = persons.get(row.id_hash)
            if row.delete:
                if person is None:
                    self.problem(
                        row.line,
                        reading.IDENTITY_COLUMN,
                        _("No one with this identity number is in the registry: there is nothing to delete."),
                    )
                    rejected_lines.add(row.line)
                    continue
                removed = _remove_source(person, row.source)
                if not person.fact_sources and not person.detail_sources:
                    del persons[row.id_hash]
                    changed.pop(row.id_hash, None)
                    if person.pk is not None:
                        gone.append((person, row, removed))
                else:
                    changed[row.id_hash] = person
                    gone.append((person, row, removed))
                continue
            if person is None:
                person = RegistryPerson(id_number=row.id_number, facts={}, fact_sources={}, detail_sources={})
                person.id_number_hash = row.id_hash
                persons[row.id_hash] = person
            before = (person.full_name, person.mobile, person.email, person.language)
            known_before = bool(person.facts)
            facts, fact_sources, detail_sources = _merge(person, row)
            try:
                if known_before:  # the row alone was checked when it was read
                    parse_facts(facts)
            except FactsInvalid as invalid:
                # Together with what other departments sent, the row says something impossible.
                person.full_name, person.mobile, person.email, person.language = before
                for name, messages in invalid.errors.items():
                    self.problem(row.line, name, " ".join(messages))
                rejected_lines.add(row.line)
                if person.pk is None and not person.fact_sources and not person.detail_sources:
                    del persons[row.id_hash]
                continue
            person.facts, person.fact_sources, person.detail_sources = facts, fact_sources, detail_sources
            changed[row.id_hash] = person
        self.rejected += len(rejected_lines)

        now = timezone.now()
        deleted_ids = [
            person.pk
            for person, _row, _removed in gone
            if person.pk is not None and person.id_number_hash not in persons
        ]
        if deleted_ids:
            RegistryPerson.objects.filter(pk__in=deleted_ids).delete()
            self.deleted += len(deleted_ids)
        new = [person for person in changed.values() if person.pk is None]
        existing = [person for person in changed.values() if person.pk is not None]
        for person in existing:
            person.updated_at = now
        if new:
            _persons_insert(new)
            self.created += len(new)
        if existing:
            _persons_update(existing)
            self.updated += len({person.pk for person in existing} - set(deleted_ids))
        for person, row, removed in gone:
            _audit(
                actor=self.registry_import.uploaded_by,
                action=AuditEntry.Action.REGISTRY_ROWS_DELETED,
                details={
                    "event": "person_deleted" if person.pk in deleted_ids else "facts_deleted",
                    "person": person.pk,
                    "source": row.source,
                    "import": self.registry_import.pk,
                    "line": row.line,
                    "removed": sorted(removed),
                },
            )


def _read_rows(opened: reading.RegistryFile, registry_import: RegistryImport, today: date):
    """(rows read, problems) in batches of ``BATCH_ROWS`` data rows."""
    default_on = timezone.localdate(registry_import.created_at)
    rows: list[Row] = []
    problems: list[ImportProblem] = []
    count = 0
    for line, cells in opened.rows():
        count += 1
        try:
            rows.append(
                _row_read(line, cells, default_source=registry_import.source, default_on=default_on, today=today)
            )
        except RowRejected as rejected:
            problems.extend(
                ImportProblem(registry_import_id=registry_import.pk, line=line, field=field, message=message)
                for field, message in rejected.problems
            )
        if count % BATCH_ROWS == 0:
            yield count, rows, problems
            rows, problems = [], []
    yield count, rows, problems


def registry_import_run(
    *, registry_import: RegistryImport, progress: Callable[[RegistryImport], None] | None = None
) -> RegistryImport:
    """Imports the stored file of a queued (or interrupted) import; a finished one is left as it is.

    ``progress`` is called with the import after each batch (the command draws its bar with it).
    """
    registry_import = RegistryImport.objects.select_related("uploaded_by").get(pk=registry_import.pk)
    if registry_import.is_finished:
        return registry_import
    with translation.override(registry_import.language):
        try:
            return _run(registry_import, progress)
        except Exception as exc:  # recorded where the admin sees it; the log has the traceback
            logger.exception("Registry import %s failed", registry_import.pk)
            RegistryImport.objects.filter(pk=registry_import.pk).update(
                state=RegistryImport.State.FAILED,
                finished_at=timezone.now(),
                error=_("The import stopped because of an error (%(error)s).") % {"error": type(exc).__name__},
            )
            _delete_stored_file(registry_import)
            registry_import.refresh_from_db()
            return registry_import


def _run(registry_import: RegistryImport, progress) -> RegistryImport:
    # Run again from the start (a worker died): the rows merge to the same result.
    ImportProblem.objects.filter(registry_import=registry_import).delete()
    registry_import.state = RegistryImport.State.RUNNING
    registry_import.started_at = timezone.now()
    registry_import.processed = registry_import.created = registry_import.updated = 0
    registry_import.deleted = registry_import.rejected = 0
    registry_import.error = ""
    with transaction.atomic():
        registry_import.save(update_fields=[*_COUNT_FIELDS, "state", "started_at", "error"])
        _audit(
            actor=registry_import.uploaded_by,
            action=AuditEntry.Action.REGISTRY_IMPORTED,
            details={
                "event": "import_started",
                "import": registry_import.pk,
                "source": registry_import.source,
                "file": registry_import.file_name,
                "rows": registry_import.total,
            },
        )

    try:
        with default_storage.open(registry_import.stored_file, "rb") as handle:
            data = handle.read()
        opened = reading.registry_file_open(name=registry_import.file_name, data=data)
    except (OSError, reading.RegistryFileInvalid) as exc:
        message = exc.message if isinstance(exc, reading.RegistryFileInvalid) else _("The stored file cannot be read.")
        return _finish(registry_import, state=RegistryImport.State.FAILED, error=message)

    registry_import.total = opened.total
    if opened.unknown_columns:
        ImportProblem.objects.bulk_create(
            ImportProblem(
                registry_import=registry_import,
                line=1,
                field=column,
                message=_(
                    "Unknown column: it was not imported. "
                    "The columns are id_number, the facts of the catalogue, %(others)s."
                )
                % {"others": ", ".join((*reading.DETAIL_COLUMNS, *reading.DATE_COLUMNS, *reading.CONTROL_COLUMNS))},
            )
            for column in opened.unknown_columns
        )
    today = timezone.localdate()
    for count, rows, problems in _read_rows(opened, registry_import, today):
        with transaction.atomic():
            read_rejected = len({problem.line for problem in problems})
            batch = _Batch(registry_import, rows, problems)
            batch.write()
            ImportProblem.objects.bulk_create(problems, batch_size=1000)
            registry_import.processed = count
            registry_import.created += batch.created
            registry_import.updated += batch.updated
            registry_import.deleted += batch.deleted
            registry_import.rejected += read_rejected + batch.rejected
            registry_import.save(update_fields=[*_COUNT_FIELDS, "total"])
        if progress is not None:
            progress(registry_import)
    return _finish(registry_import, state=RegistryImport.State.DONE)


_COUNT_FIELDS = ["processed", "created", "updated", "deleted", "rejected"]


def _finish(registry_import: RegistryImport, *, state: str, error: str = "") -> RegistryImport:
    registry_import.state = state
    registry_import.error = error
    registry_import.finished_at = timezone.now()
    if state == RegistryImport.State.DONE:
        registry_import.processed = registry_import.total
    with transaction.atomic():
        registry_import.save(update_fields=[*_COUNT_FIELDS, "state", "error", "finished_at", "total"])
        _audit(
            actor=registry_import.uploaded_by,
            action=AuditEntry.Action.REGISTRY_IMPORTED,
            details={
                "event": "import_finished",
                "import": registry_import.pk,
                "source": registry_import.source,
                "state": state,
                **{name: getattr(registry_import, name) for name in ["total", *_COUNT_FIELDS]},
            },
        )
    _delete_stored_file(registry_import)
    return registry_import


def _delete_stored_file(registry_import: RegistryImport) -> None:
    """The department's file is kept only until it has been imported (issue 12, item 8)."""
    name = registry_import.stored_file
    if not name:
        return
    default_storage.delete(name)
    RegistryImport.objects.filter(pk=registry_import.pk).update(stored_file="")
    registry_import.stored_file = ""


# --- Use of registry data ---------------------------------------------------------------------------


def registry_person_viewed(*, person: RegistryPerson, actor, purpose: str, request=None) -> None:
    """Records that ``actor`` saw (or a process used) what departments hold about ``person``.

    ``purpose`` says what for, e.g. "lookup", "prefill", "invitation". Call it inside the
    transaction of the use."""
    _audit(
        actor=actor,
        action=AuditEntry.Action.REGISTRY_VIEWED,
        details={"event": "person_viewed", "person": person.pk, "purpose": purpose},
        request=request,
    )
