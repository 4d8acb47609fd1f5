import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.management.commands.seed_demo import DEMO_STAFF, DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Prints the current second-factor code of the demo staff accounts (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp prints codes for published demo logins; it runs only with DEBUG on.")
        device = TOTPDevice(key=DEMO_TOTP_KEY)
        code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
        seconds_left = device.step - int(time.time()) % device.step
        self.stdout.write(f"Code for every demo staff account: {code} (changes in {seconds_left} s)")
        for login, role, _name in DEMO_STAFF:
            self.stdout.write(f"  {role.label!s:<22} {login}")
