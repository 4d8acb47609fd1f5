"""The hash chain of the audit trail, as pure functions (no database).

Entry ``n`` carries ``sequence = n`` (1, 2, 3, … without gaps), the hash of
entry ``n - 1`` (``GENESIS`` for the first) and its own hash: SHA-256 over the
previous hash and a canonical JSON of its content. Changing, inserting or
removing an entry therefore breaks the chain at that point, which
``manage.py audit_verify`` reports. Migration ``0008_access_and_audit`` uses
these functions to chain the entries written before the chain existed, so they
must stay as they are: a change here invalidates every stored hash.
"""

import hashlib
import json
from datetime import UTC, datetime

GENESIS = "0" * 64


def canonical_details(details) -> dict:
    """``details`` as the database gives it back (JSON types only: tuples become lists, keys strings)."""
    return json.loads(json.dumps(details or {}))


def canonical_content(
    *,
    sequence: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    application_id: int | None,
    details,
    ip_address: str | None,
) -> str:
    content = {
        "sequence": sequence,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "action": action,
        "application": application_id,
        "details": canonical_details(details),
        "ip_address": ip_address or None,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous_hash: str, content: str) -> str:
    return hashlib.sha256(f"{previous_hash}\n{content}".encode()).hexdigest()


def hash_of_entry(entry, previous_hash: str) -> str:
    """The hash ``entry`` (an ``AuditEntry`` or anything with its fields) should carry after ``previous_hash``."""
    return chain_hash(
        previous_hash,
        canonical_content(
            sequence=entry.sequence,
            at=entry.at,
            actor_id=entry.actor_id,
            action=entry.action,
            application_id=entry.application_id,
            details=entry.details,
            ip_address=entry.ip_address,
        ),
    )
