from pathlib import Path

from django.core.management.base import BaseCommand

from eligibility.policy_file import export_policy


class Command(BaseCommand):
    help = (
        "Writes every programme and every parameter with its full history to a policy file (YAML); "
        "'-' writes to standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the YAML file to write, or - for standard output")

    def handle(self, *args, file: str, **options):
        text = export_policy()
        if file == "-":
            self.stdout.write(text, ending="")
            return
        Path(file).write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {file}."))
