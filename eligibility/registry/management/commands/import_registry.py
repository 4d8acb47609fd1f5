"""Imports a department's registry file in the foreground, with a progress bar on the terminal."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from eligibility.registry import reading, services
from eligibility.registry.models import RegistryImport, SourceDepartment
from eligibility.registry.selectors import registry_import_problems

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Imports FILE (CSV or XLSX) from the department --source, showing progress, counts and rejected lines."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--source", required=True, choices=SourceDepartment.values)
        parser.add_argument("--language", default=None, help="Language of the messages: zh-hans or en.")

    def handle(self, *args, file, source, language, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        with translation.override(language or translation.get_language()):
            try:
                registry_import = services.registry_import_create(
                    name=path.name, data=path.read_bytes(), source=source, enqueue=False
                )
            except reading.RegistryFileInvalid as invalid:
                raise CommandError(invalid.message) from None
            started = time.monotonic()
            self._bar(registry_import)
            registry_import = services.registry_import_run(registry_import=registry_import, progress=self._bar)
            elapsed = time.monotonic() - started
            self.stdout.write("\n")
            self._summary(registry_import, elapsed)
        if registry_import.state != RegistryImport.State.DONE:
            raise CommandError(registry_import.error or _("The import failed."))

    def _bar(self, registry_import: RegistryImport) -> None:
        total = registry_import.total or 1
        done = min(registry_import.processed, total)
        filled = int(BAR_WIDTH * done / total)
        self.stdout.write(
            f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done * 100 // total:3d}% "
            f"{registry_import.processed}/{registry_import.total}",
            ending="",
        )
        self.stdout.flush()

    def _summary(self, registry_import: RegistryImport, elapsed: float) -> None:
        rate = registry_import.processed / elapsed if elapsed > 0 else 0
        self.stdout.write(
            _(
                "Rows: %(total)s; added %(created)s, updated %(updated)s, deleted %(deleted)s, "
                "rejected %(rejected)s (%(seconds).1f s, %(rate)d rows/s)."
            )
            % {
                "total": registry_import.total,
                "created": registry_import.created,
                "updated": registry_import.updated,
                "deleted": registry_import.deleted,
                "rejected": registry_import.rejected,
                "seconds": elapsed,
                "rate": rate,
            }
        )
        problems = registry_import_problems(registry_import)
        if problems.exists():
            self.stdout.write(_("Rejected:"))
            for problem in problems.iterator():
                self.stdout.write(f"  {_('line')} {problem.line}  {problem.field}: {problem.message}")
