"""Recomputes the queue's warning flags of every application: ``manage.py refresh_case_flags``.

The flags (``applications.case_flags``) follow the portal's own writes. Run this after anything
else wrote applications or documents (a restore from backup, a bulk correction in SQL): it sets
each flag to what its definition says now, rewrites only the rows that were wrong, and says how
many there were. Safe to run at any time, and again.
"""

from django.core.management.base import BaseCommand

from applications import case_flags


class Command(BaseCommand):
    help = "Recomputes the queue's warning flags (same identity number, same file, document problem)."

    def handle(self, *args, **options):
        changed = case_flags.refresh_all_exclusive()
        self.stdout.write(f"{changed} flag(s) corrected." if changed else "Every flag was right.")
