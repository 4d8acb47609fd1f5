"""The queue's warning flags, kept on the application so that filtering by one is an index look-up.

Three flags tell a caseworker to look closer:

- ``same_identity_elsewhere``: another person's sent application (not a draft) has the same
  identity number (compared by its keyed hash);
- ``same_file_elsewhere``: the check of one of its documents found the same file on another
  person's application (``DUPLICATE_FILE_PROBLEM``);
- ``document_check_problem``: one of its documents was flagged by its check, or the check failed.

Each is defined once here, as a subquery (``*_exists``), and written by one set-based UPDATE
(``refresh_*``). Live subqueries per row cost a city's queue hundreds of milliseconds (the count of
a filtered queue probes every open case); a stored flag with a partial index costs a few.

They are refreshed where what they read changes: an application is sent or its identity number
changes (``Application.save``), it is anonymised (``applications.retention``), a document is saved,
checked or removed (``Document.save``/``delete``, ``applications.services.documents``), and after a
bulk load (``manage.py seed_bench``). ``refresh_all`` recomputes every row: the migration that
added them, beat every night (``applications.refresh_case_flags``: what two writers racing left
behind), and ``manage.py refresh_case_flags`` should anything else write those tables.
"""

from collections.abc import Iterable

from django.apps import apps as installed_apps
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet

from applications.models import DUPLICATE_FILE_PROBLEM, PROBLEM_CHECK_STATES, Status

# pg_advisory_xact_lock key of the nightly recount (any constant bigint; "LHFLAGS" in ASCII).
REFRESH_LOCK = 0x4C48464C414753


def _model(name: str, apps=None):
    """The model as it is now, or as a migration's ``apps`` has it."""
    return (apps or installed_apps).get_model("applications", name)


def same_identity_elsewhere_exists(apps=None) -> Exists:
    """A sent application of another person with the outer row's identity number."""
    others = (
        _model("Application", apps)
        .objects.filter(id_number_hash=OuterRef("id_number_hash"))
        .exclude(applicant=OuterRef("applicant"))
        .exclude(status=Status.DRAFT)
        .exclude(id_number_hash="")
    )
    return Exists(others)


def same_file_elsewhere_exists(apps=None) -> Exists:
    # JSON text search works alike on SQLite and PostgreSQL (no JSON containment on SQLite);
    # the partial index ``document_duplicate_file`` has this very condition.
    documents = _model("Document", apps).objects
    return Exists(
        documents.filter(application=OuterRef("pk"), check_results__problems__icontains=DUPLICATE_FILE_PROBLEM)
    )


def document_check_problem_exists(apps=None) -> Exists:
    documents = _model("Document", apps).objects
    return Exists(documents.filter(application=OuterRef("pk"), check_status__in=PROBLEM_CHECK_STATES))


def _update_changed(rows: QuerySet, field: str, condition: Exists) -> int:
    """Sets ``field`` to ``condition`` where it differs: two narrow UPDATEs, no row rewritten for nothing."""
    turned_on = rows.filter(**{field: False}).filter(condition).update(**{field: True})
    turned_off = rows.filter(**{field: True}).filter(~condition).update(**{field: False})
    return turned_on + turned_off


def refresh_identity(hashes: Iterable[str]) -> int:
    """The same-identity flag of every application holding one of ``hashes`` (a few rows).

    Rows another transaction holds are skipped, never waited for: that transaction is saving
    one of them (sending it, or refused and rolling back) and refreshes the others when it saves.
    Waiting would deadlock two people sending the same number at once, each holding their own
    case while the other's refresh asks for it. What a race leaves behind is put right by beat's
    nightly ``refresh_all`` (``applications.refresh_case_flags``)."""
    wanted = {value for value in hashes if value}
    if not wanted:
        return 0
    applications = _model("Application").objects
    rows = applications.filter(id_number_hash__in=wanted)
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            free = list(rows.order_by("pk").select_for_update(skip_locked=True).values_list("pk", flat=True))
            rows = applications.filter(pk__in=free)
        return rows.update(same_identity_elsewhere=same_identity_elsewhere_exists())


def refresh_documents(application_ids: Iterable[int]) -> int:
    """The two document flags of those applications (one UPDATE)."""
    wanted = {value for value in application_ids if value}
    if not wanted:
        return 0
    return (
        _model("Application")
        .objects.filter(pk__in=wanted)
        .update(
            same_file_elsewhere=same_file_elsewhere_exists(), document_check_problem=document_check_problem_exists()
        )
    )


def refresh_all(rows: QuerySet | None = None, *, apps=None) -> int:
    """Every flag of ``rows`` (every application by default), set-based; the number of rows changed."""
    rows = _model("Application", apps).objects.all() if rows is None else rows
    return (
        _update_changed(rows, "same_identity_elsewhere", same_identity_elsewhere_exists(apps))
        + _update_changed(rows, "same_file_elsewhere", same_file_elsewhere_exists(apps))
        + _update_changed(rows, "document_check_problem", document_check_problem_exists(apps))
    )


def refresh_all_exclusive() -> int:
    """``refresh_all`` of every application in one transaction; two runs at once (two beats by
    mistake, the command while beat runs) take turns rather than race over the same rows."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
        return refresh_all()
