"""``manage.py match_registry [--as-of DATE] [--distributed] [--chunk-size N]``: matches the registry now."""

import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from eligibility.matching.audit import match_run_audit
from eligibility.matching.models import MatchRun
from eligibility.matching.services import DEFAULT_CHUNK_SIZE, registry_match


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of takes a date as YYYY-MM-DD, not {text!r}") from None


class Command(BaseCommand):
    help = "Evaluates every registry person against every programme and creates the invitations of the newly eligible."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=_date, default=None, help="the date to evaluate on (default today)")
        parser.add_argument(
            "--distributed", action="store_true", help="send the chunks to the Celery workers (a chord) and wait"
        )
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="persons per chunk")
        parser.add_argument("--wait", type=float, default=3600, help="with --distributed: seconds to wait at most")

    def handle(self, *args, as_of, distributed: bool, chunk_size: int, wait: float, **options):
        if chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        started = time.perf_counter()
        run = registry_match(as_of=as_of, chunk_size=chunk_size, distributed=distributed)
        if distributed:
            deadline = time.monotonic() + wait
            while run.state == MatchRun.State.RUNNING and time.monotonic() < deadline:
                time.sleep(0.5)
                run.refresh_from_db()
            if run.state == MatchRun.State.RUNNING:
                raise CommandError(f"Run {run.pk} is still running after {wait:.0f} s; see the matching runs.")
        seconds = time.perf_counter() - started
        match_run_audit(run=run)  # once, though the chord's callback may have recorded it already
        if run.state == MatchRun.State.FAILED:
            raise CommandError(f"Run {run.pk} failed: {run.failure}")
        rate = run.persons / seconds if seconds else 0
        self.stdout.write(
            f"Run {run.pk} on {run.as_of}: {run.persons:,} persons in {run.chunks} chunks, "
            f"{run.eligible:,} eligible for at least one programme, {run.newly_eligible:,} results newly eligible, "
            f"{run.results_written:,} results written, {run.invitations:,} invitations; "
            f"{seconds:.2f} s ({rate:,.0f} persons/s)."
        )
