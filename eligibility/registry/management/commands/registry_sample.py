"""Writes a CSV of realistic, valid registry rows (eligibility.registry.demo) for the demo and the bench."""

import csv

from django.core.management.base import BaseCommand, CommandError

from eligibility.registry.demo import COLUMNS, registry_rows


class Command(BaseCommand):
    help = "Writes FILE: a department's registry of --rows realistic people in CSV (UTF-8)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--rows", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, file, rows, seed, **options):
        if rows < 1:
            raise CommandError("--rows must be at least 1.")
        with open(file, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(registry_rows(rows, seed))
        self.stdout.write(f"{rows} rows written to {file}")
