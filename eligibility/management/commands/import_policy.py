from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from eligibility.policy_file import PolicyFileInvalid, import_policy, read_policy


class Command(BaseCommand):
    help = (
        "Loads a policy file (YAML): checks all of it first and changes nothing if any part is invalid; "
        "keeps values in force; a new value of a parameter that has values becomes a proposal that a policy "
        "administrator approves in the policy console (see eligibility/policy_file.py for the rules)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the YAML policy file to load")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")
        parser.add_argument("--user", help="login identifier of the person recorded as making the changes")
        parser.add_argument(
            "--reason", default="", help="the reason of the proposals whose value in the file gives none"
        )
        parser.add_argument(
            "--apply-directly",
            action="store_true",
            help="add the new values at once, after the same checks, instead of proposing them (bootstrapping, tests)",
        )

    def handle(self, *args, file: str, dry_run: bool, user: str | None, reason: str, apply_directly: bool, **options):
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {file}: {error}") from None
        acting_user = None
        if user:
            try:
                acting_user = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user with the login identifier {user}.") from None
        try:
            report = import_policy(
                read_policy(text),
                acting_user=acting_user,
                dry_run=dry_run,
                apply_directly=apply_directly,
                reason=reason,
            )
        except PolicyFileInvalid as invalid:
            lines = "\n".join(f"  - {error}" for error in invalid.errors)
            raise CommandError(f"{file} is invalid; nothing was changed:\n{lines}") from None

        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        for label, items in (
            ("programme created", report.programmes_created),
            ("programme updated", report.programmes_updated),
            ("parameter created", report.parameters_created),
            ("parameter updated", report.parameters_updated),
            ("value added", report.values_added),
            ("future value changed", report.values_changed),
            ("incubator site added", report.sites_added),
            ("training course added", report.courses_added),
            ("reference case added", report.reference_cases_added),
            ("proposal created", report.proposals_created),
        ):
            for item in items:
                self.stdout.write(f"{label}: {item}")
        prefix = "Dry run, nothing saved: " if dry_run else ""
        proposals = ""
        if report.proposals_created or report.proposals_waiting:
            proposals = (
                f" {len(report.proposals_created)} proposals created, {report.proposals_waiting} already awaiting "
                "approval: approve them in the policy console (/policy/proposals/)."
            )
        if report.changed_anything:
            summary = (
                f"{prefix}{len(report.values_added)} values added, {len(report.values_changed)} changed, "
                f"{report.values_unchanged} unchanged, {len(report.warnings)} warnings.{proposals}"
            )
        else:
            summary = (
                f"{prefix}nothing to change ({report.values_unchanged} values unchanged, "
                f"{len(report.warnings)} warnings).{proposals}"
            )
        self.stdout.write(self.style.SUCCESS(summary[0].upper() + summary[1:]))
