"""The audit trail's hash chain for millions of entries at once.

``applications.audit_chain`` defines the chain; this writes the same canonical
content without building a dictionary per entry: the entry's own fields are
formatted around its ``details``, serialised by orjson with sorted keys (for the
JSON types details hold, the same text as ``json.dumps(sort_keys=True,
separators=(",", ":"), ensure_ascii=False)``, ten times faster).
``tests/scale/test_seed_bench.py`` checks that the text is the one
``canonical_content`` gives, character for character.
"""

import hashlib
from datetime import UTC, datetime

import orjson

from applications.audit_chain import canonical_content


def details_json(details: dict) -> str:
    """``details`` as ``canonical_content`` writes it inside the entry (keys sorted, no spaces)."""
    return orjson.dumps(details, option=orjson.OPT_SORT_KEYS).decode()


def json_string(text: str) -> str:
    return orjson.dumps(text).decode()


def content(
    *,
    sequence: int,
    at: datetime,
    actor_id: int | None,
    action: str,
    application_id: int | None,
    details_text: str,
    ip_address: str | None,
) -> str:
    """``canonical_content`` of an entry whose details serialise to ``details_text`` (``details_json``)."""
    actor = "null" if actor_id is None else str(actor_id)
    application = "null" if application_id is None else str(application_id)
    ip = f'"{ip_address}"' if ip_address else "null"  # an address has no character JSON escapes
    stamp = at.astimezone(UTC).isoformat(timespec="microseconds")
    # An action is a code of AuditEntry.Action: no character in it needs escaping.
    return (
        f'{{"action":"{action}","actor":{actor},"application":{application},"at":"{stamp}",'
        f'"details":{details_text},"ip_address":{ip},"sequence":{sequence}}}'
    )


class Chain:
    """Numbers and hashes entries after the last one of the trail (``head``: its number and hash)."""

    def __init__(self, head: tuple[int, str]):
        self.sequence, self.previous_hash = head

    def entry(self, *, at, actor_id, action, application_id, details: dict, ip_address, details_text=None) -> tuple:
        """(sequence, previous hash, hash) of the next entry (``details_text``: ``details_json(details)``, if known)."""
        self.sequence += 1
        text = content(
            sequence=self.sequence,
            at=at,
            actor_id=actor_id,
            action=action,
            application_id=application_id,
            details_text=details_text or details_json(details),
            ip_address=ip_address,
        )
        previous = self.previous_hash
        self.previous_hash = hashlib.sha256(f"{previous}\n{text}".encode()).hexdigest()
        return self.sequence, previous, self.previous_hash


def same_as_canonical(**entry) -> bool:
    """Whether ``content`` gives what ``canonical_content`` gives for this entry (a check, for tests)."""
    details = entry.pop("details")
    return content(details_text=details_json(details), **entry) == canonical_content(details=details, **entry)
