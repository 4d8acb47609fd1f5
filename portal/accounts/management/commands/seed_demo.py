from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

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
    # A second policy administrator approves the first one's proposals (issue 14: nobody approves their own).
    ("policy-admin2@linghuo.test", Role.POLICY_ADMIN, "刘洋 Liu Yang"),
]
DEMO_CITIZEN = "13800138000"
# Demo staff type a second factor like real staff. Their authenticator key is
# fixed and published (DEBUG only, as the password): add it to an app once, or
# read the current codes with `manage.py demo_totp`.
DEMO_TOTP_KEY = b"linghuo-demo-totp-26".hex()  # 20 bytes, as django-otp's own keys


class Command(BaseCommand):
    help = "Creates the demo accounts (caseworker, supervisor, policy admin, citizen). Safe to run again."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo creates accounts with a published password; it runs only with DEBUG on.")
        region = settings.LINGHUO_REGION_CODE
        rows = []
        for login, role, name in DEMO_STAFF:
            user = staff_account_ensure(
                identifier=parse_identifier(login),
                role=role,
                password=DEMO_PASSWORD,
                region=region if role in (Role.CASEWORKER, Role.SUPERVISOR) else "",
                full_name=name,
            )
            demo_authenticator_ensure(user)
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
        self.stdout.write(
            "Staff then type a 6-digit code: add this key to an authenticator app (time-based, 6 digits, 30 s),\n"
            f"  {demo_totp_secret()}\n"
            "or read the current code with: .venv/bin/python manage.py demo_totp"
        )


def demo_totp_secret() -> str:
    from portal.accounts.two_factor import secret_for_typing

    return secret_for_typing(TOTPDevice(key=DEMO_TOTP_KEY))


def demo_authenticator_ensure(user) -> None:
    """The demo staff account's authenticator, with the published key (and no recovery codes)."""
    TOTPDevice.objects.filter(user=user).exclude(key=DEMO_TOTP_KEY).delete()
    TOTPDevice.objects.update_or_create(
        user=user, key=DEMO_TOTP_KEY, defaults={"name": "demo authenticator", "confirmed": True}
    )
