from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from portal.accounts.identifiers import parse_identifier
from portal.accounts.roles import Role
from portal.accounts.services import account_confirm, citizen_create, staff_account_ensure

# Demo logins: printed by `make demo`. The command refuses to run without
# DEBUG, so these can never exist on a production deployment.
DEMO_PASSWORD = "linghuo-demo-2026"  # noqa: S105 - a demo login, printed on purpose
DEMO_STAFF = [
    ("caseworker@linghuo.test", Role.CASEWORKER, "张晓红 Zhang Xiaohong"),
    ("caseworker2@linghuo.test", Role.CASEWORKER, "李明 Li Ming"),
    ("supervisor@linghuo.test", Role.SUPERVISOR, "王芳 Wang Fang"),
    ("policy-admin@linghuo.test", Role.POLICY_ADMIN, "陈建国 Chen Jianguo"),
]
DEMO_CITIZEN = "13800138000"


class Command(BaseCommand):
    help = "Creates the demo accounts (caseworker, supervisor, policy admin, citizen). Safe to run again."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates accounts with a published password; it runs only with DEBUG on.")
        region = settings.LINGHUO_REGION_CODE
        rows = []
        for login, role, name in DEMO_STAFF:
            staff_account_ensure(
                identifier=parse_identifier(login),
                role=role,
                password=DEMO_PASSWORD,
                region=region if role in (Role.CASEWORKER, Role.SUPERVISOR) else "",
                full_name=name,
            )
            rows.append((str(role.label), login))
        citizen = get_user_model().objects.filter(mobile=DEMO_CITIZEN).first()
        if citizen is None:
            # Demo logins are ready to apply: created confirmed, no code to type.
            citizen_create(
                identifier=parse_identifier(DEMO_CITIZEN), password=DEMO_PASSWORD, language="zh-hans", confirmed=True
            )
        else:
            citizen.set_password(DEMO_PASSWORD)
            citizen.save(update_fields=["password"])
            account_confirm(user=citizen)
        rows.append((str(Role.CITIZEN.label), DEMO_CITIZEN))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for label, login in rows:
            self.stdout.write(f"  {label:<22} {login}")
