"""``manage.py apply_retention [--dry-run] [--today YYYY-MM-DD]``: what the daily retention jobs do, at once.

Sends the notices due to abandoned drafts, removes the drafts whose removal day has come and
anonymises the closed cases whose retention period has ended (``applications.retention.services``),
and prints how many of each. With ``--dry-run`` it changes nothing and prints how many are due.
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from applications.retention.services import retention_apply


class Command(BaseCommand):
    help = "Applies the retention periods: draft notices and removals, anonymisation of closed cases."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Change nothing; print how many are due.")
        parser.add_argument("--today", help="Apply as on this date (YYYY-MM-DD) instead of today.")

    def handle(self, *args, dry_run: bool = False, today: str | None = None, **options):
        try:
            day = date.fromisoformat(today) if today else None
        except ValueError as error:
            raise CommandError(f"--today: {error}") from error
        report = retention_apply(today=day, dry_run=dry_run)
        periods = report.periods
        verb = "due" if report.dry_run else "done"
        self.stdout.write(
            f"retention on {report.today.isoformat()} ({'dry run, nothing changed' if report.dry_run else 'applied'}): "
            f"closed cases after {periods.closed_case_years} years, drafts after {periods.draft_days} days "
            f"with a notice at {periods.draft_notice_days}"
        )
        self.stdout.write(f"draft notices {verb}: {report.notices}")
        self.stdout.write(f"drafts removed{' (due)' if report.dry_run else ''}: {report.drafts_removed}")
        self.stdout.write(f"closed cases anonymised{' (due)' if report.dry_run else ''}: {report.cases_anonymised}")
