"""The audit trail: every decision, transition and view of personal data, append-only and chained.

Entries are only ever inserted, by ``audit_record``. The model refuses updates
and deletes (``AuditQuerySet``, ``AuditEntry.save``/``delete``), the admin has
no change or delete permission, and on PostgreSQL a trigger refuses UPDATE and
DELETE (migration ``0003_audit_append_only``) and the table belongs to a role
the application does not log in as, so it may only INSERT and SELECT
(migration ``0008_access_and_audit``).

Each entry is numbered (``sequence`` 1, 2, 3, …) and carries the hash of the
previous entry and its own (``applications.audit_chain``), so that
``manage.py audit_verify`` finds any entry changed, inserted or removed.
Writers take turns: on PostgreSQL an advisory lock held until the writer's
transaction ends, elsewhere a row lock on the last entry (SQLite writes one
transaction at a time anyway), so concurrent writers keep one chain.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from applications.audit_chain import GENESIS, canonical_details, hash_of_entry
from applications.models import Application, AuditEntry
from portal.accounts.roles import REGIONAL_ROLES

# The uses of the department registries (import, deletion, look-up, matching, invitations, identity
# checks): about the whole region the portal serves rather than about one application.
REGISTRY_ACTIONS = (
    AuditEntry.Action.REGISTRY_IMPORTED,
    AuditEntry.Action.REGISTRY_ROWS_DELETED,
    AuditEntry.Action.REGISTRY_VIEWED,
    AuditEntry.Action.REGISTRY_MATCHED,
    AuditEntry.Action.REGISTRY_PREFILLED,
    AuditEntry.Action.INVITATION_OPENED,
    AuditEntry.Action.REGISTRY_OPTED_OUT,
    AuditEntry.Action.IDENTITY_MISMATCH,
    AuditEntry.Action.IDENTITY_ATTEMPT_REFUSED,
)

# pg_advisory_xact_lock key of the audit chain (any constant bigint; "LHAUDIT" in ASCII).
CHAIN_LOCK = 0x4C4841554449_54


def _client_address(request) -> str | None:
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or None
    # As the database gives it back, so that the hash computed now is the hash verified later.
    if address and ":" in address:
        try:
            return clean_ipv6_address(address)
        except Exception:
            return None
    return address


def _chain_head() -> tuple[int, str]:
    """The number and hash of the last entry, with the chain locked until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
        last = AuditEntry.objects.order_by("-sequence").values("sequence", "entry_hash").first()
    else:
        last = AuditEntry.objects.select_for_update().order_by("-sequence").values("sequence", "entry_hash").first()
    if last is None:
        return 0, GENESIS
    return last["sequence"], last["entry_hash"]


def audit_record(
    *, actor, action: str, application: Application | None = None, details: dict | None = None, request=None
) -> AuditEntry:
    """Adds one entry at the end of the chain. Call it inside the transaction of the change it records."""
    with transaction.atomic():
        number, previous_hash = _chain_head()
        entry = AuditEntry(
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            application=application,
            details=canonical_details(details),
            ip_address=_client_address(request),
            at=timezone.now(),
            sequence=number + 1,
            previous_hash=previous_hash,
        )
        entry.entry_hash = hash_of_entry(entry, previous_hash)
        entry.save(force_insert=True)
    return entry


def audit_entries_for_supervisor(supervisor) -> QuerySet[AuditEntry]:
    """The entries a supervisor may read, newest first, with what a list shows.

    That is every entry about an application of the supervisor's region, and the
    entries about no application (a parameter change, …) made by staff of that
    region; a supervisor of the region the portal serves (``LINGHUO_REGION_CODE``)
    also reads every use of the department registries that is about no application
    (whoever made it: a policy administrator, the system, a citizen). A supervisor
    without a region reads nothing.
    """
    region = supervisor.region
    if not region:
        return AuditEntry.objects.none()
    # The region's staff by id, read first: a few dozen people. As a subquery of the search, the
    # planner cannot tell how few and reads every group membership (every citizen's too) per search.
    roles = Group.objects.filter(name__in=[str(role) for role in REGIONAL_ROLES]).values_list("pk", flat=True)
    staff_of_region = list(
        get_user_model().objects.filter(region=region, groups__in=list(roles)).values_list("pk", flat=True).distinct()
    )
    readable = Q(application__region=region) | Q(application__isnull=True, actor__in=staff_of_region)
    if region == settings.LINGHUO_REGION_CODE:
        readable |= Q(application__isnull=True, action__in=REGISTRY_ACTIONS)
    return AuditEntry.objects.filter(readable).select_related("actor", "application").order_by("-at", "-id")
