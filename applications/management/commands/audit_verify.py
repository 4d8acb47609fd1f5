"""Checks the audit trail's hash chain: ``manage.py audit_verify``.

One line per problem, and exit code 1 if there is any:

- ``gap``: numbers missing between two entries (entries removed);
- ``changed``: an entry whose content no longer gives its hash (changed, or inserted with a made-up hash);
- ``broken link``: an entry that does not name the hash of the entry before it (inserted or replaced);
- ``truncated``: the trail ends before an entry verified earlier, or it does not start at 1;
- ``rewritten``: an entry verified earlier now has another hash (the chain was recomputed).

The last two need a checkpoint: after a clean run the number and hash of the last
entry are written to ``--checkpoint`` (default ``AUDIT_CHECKPOINT_FILE`` or
``var/audit-checkpoint.json``), and each later run checks the trail still
contains that entry unchanged. Keep the file where the application's database
user cannot write (another host, a write-once bucket): the chain alone cannot
show that the newest entries were cut off.
"""

import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from applications.audit_chain import GENESIS, hash_of_entry
from applications.models import AuditEntry

FIELDS = ("id", "sequence", "at", "actor_id", "action", "application_id", "details", "ip_address")


class Row:
    __slots__ = (*FIELDS, "previous_hash", "entry_hash")

    def __init__(self, values: dict):
        for name in self.__slots__:
            setattr(self, name, values[name])


def default_checkpoint() -> Path:
    configured = getattr(settings, "AUDIT_CHECKPOINT_FILE", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "audit-checkpoint.json"


def verify(rows, checkpoint: dict | None) -> tuple[list[str], tuple[int, str] | None]:
    """The problems found in ``rows`` (ordered by sequence), and the last entry (number, hash)."""
    problems: list[str] = []
    expected, previous, last = 1, GENESIS, None
    checkpoint_seen = False
    for row in rows:
        if row.sequence > expected:
            if expected == 1:
                problems.append(
                    f"truncated: the trail starts at entry {row.sequence}; entries 1-{row.sequence - 1} are missing"
                )
            else:
                missing = f"{expected}" if row.sequence == expected + 1 else f"{expected}-{row.sequence - 1}"
                problems.append(f"gap: entries {missing} are missing (between {expected - 1} and {row.sequence})")
        elif row.previous_hash != previous:
            problems.append(
                f"broken link: entry {row.sequence} (id {row.id}) does not follow entry {row.sequence - 1}: "
                "an entry was inserted or replaced"
            )
        if hash_of_entry(row, row.previous_hash) != row.entry_hash:
            problems.append(
                f"changed: entry {row.sequence} (id {row.id}, {row.action} at {row.at:%Y-%m-%d %H:%M:%S}) "
                "does not match its hash: its content was changed or it was inserted with a made-up hash"
            )
        if checkpoint and row.sequence == checkpoint["sequence"]:
            checkpoint_seen = True
            if row.entry_hash != checkpoint["hash"]:
                problems.append(
                    f"rewritten: entry {row.sequence} has another hash than when it was verified on "
                    f"{checkpoint['verified_at']}: the chain was recomputed"
                )
        expected, previous, last = row.sequence + 1, row.entry_hash, (row.sequence, row.entry_hash)
    if checkpoint and not checkpoint_seen:
        ends = f"ends at entry {last[0]}" if last else "is empty"
        problems.append(
            f"truncated: the trail {ends}, but entry {checkpoint['sequence']} was there when verified on "
            f"{checkpoint['verified_at']}"
        )
    return problems, last


class Command(BaseCommand):
    help = "Checks the audit trail's hash chain; prints one line per problem and exits 1 if there is any."

    def add_arguments(self, parser):
        parser.add_argument("--checkpoint", type=Path, default=None, help="file of the last verified entry")
        parser.add_argument("--no-checkpoint", action="store_true", help="neither read nor write a checkpoint")

    def handle(self, *args, checkpoint=None, no_checkpoint=False, **options):
        path = None if no_checkpoint else (checkpoint or default_checkpoint())
        saved = None
        if path is not None and path.exists():
            try:
                saved = json.loads(path.read_text())
                saved = {
                    "sequence": int(saved["sequence"]),
                    "hash": str(saved["hash"]),
                    "verified_at": saved["verified_at"],
                }
            except (ValueError, KeyError, TypeError):
                self.stdout.write(f"checkpoint: {path} cannot be read; the trail is checked without it")
                saved = None
        rows = (
            Row(values)
            for values in AuditEntry.objects.order_by("sequence")
            .values(*FIELDS, "previous_hash", "entry_hash")
            .iterator(chunk_size=2000)
        )
        problems, last = verify(rows, saved)
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            self.stderr.write(f"The audit trail fails verification: {len(problems)} problem(s).")
            sys.exit(1)
        count = last[0] if last else 0
        if path is not None and last is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(
                json.dumps({"sequence": last[0], "hash": last[1], "verified_at": timezone.now().isoformat()}) + "\n"
            )
        self.stdout.write(f"The audit trail is intact: {count} entries, chain verified.")
