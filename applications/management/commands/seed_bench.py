"""``manage.py seed_bench --applications N [--registry N] [--audit N] [--seed S] [--append]``: a whole city.

Fills the database with made-up but realistic data quickly (``applications.bench_data``):
applicants, applications in every state with their events, documents, approvals,
payments and audit trail, staff for each region, and registry persons. On
PostgreSQL with COPY; elsewhere (SQLite) with ``bulk_create``. Prints the progress
and the time each table took.
"""

from django.core.management.base import BaseCommand, CommandError

from applications.bench_data.seed import (
    BENCH_PASSWORD,
    BENCH_TOTP_KEY,
    CASEWORKERS_PER_REGION,
    SeedRefused,
    city_seed,
    staff_login,
)

AUDIT_PER_APPLICATION = 10


class Command(BaseCommand):
    help = "Fills the database with a whole city of made-up applications, audit entries and registry persons."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, required=True, help="applications to add")
        parser.add_argument("--registry", type=int, default=0, help="registry persons to add (PostgreSQL)")
        parser.add_argument(
            "--audit",
            type=int,
            default=None,
            help=f"audit entries to add (default {AUDIT_PER_APPLICATION} per application)",
        )
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same city")
        parser.add_argument("--append", action="store_true", help="add to a database that has applications")

    def handle(self, *args, applications, registry, audit, seed, append, **options):
        audit = AUDIT_PER_APPLICATION * applications if audit is None else audit
        try:
            report = city_seed(
                applications=applications, audit=audit, registry=registry, seed=seed, append=append, say=self._say
            )
        except SeedRefused as refusal:
            raise CommandError(str(refusal)) from refusal
        self.stdout.write(f"Seeded in {report.total_s:.1f} s (generating the rows: {report.generating_s:.1f} s):")
        for table, rows in report.rows.items():
            seconds = report.seconds.get(table, 0.0)
            rate = f"{rows / seconds:,.0f} rows/s" if seconds else "—"
            self.stdout.write(f"  {table:<22} {rows:>12,} rows {seconds:>8.1f} s  {rate}")
        for step, label in (("references", "foreign keys checked"), ("analyze", "ANALYZE")):
            if step in report.seconds:
                self.stdout.write(f"  {label:<22} {'':>12}      {report.seconds[step]:>8.1f} s")
        example = report.staff[-1] if report.staff else "330800"
        first, last = (staff_login("caseworker", example, number) for number in (1, CASEWORKERS_PER_REGION))
        self.stdout.write(
            f"Logins, all with the password {BENCH_PASSWORD}:\n"
            f"  caseworkers   {first} … {last}\n"
            f"  supervisor    {staff_login('supervisor', example)}\n"
            f"  (the same for each region: {', '.join(report.staff)})\n"
            "  applicants    their mobile number\n"
            f"Staff then type the code of this authenticator key (TOTP, 6 digits, 30 s): {totp_secret()}"
        )

    def _say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()


def totp_secret() -> str:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.accounts.two_factor import secret_for_typing

    return secret_for_typing(TOTPDevice(key=BENCH_TOTP_KEY))
