from django.apps import AppConfig
from django.core import checks


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Linghuo portal"

    def ready(self):
        from portal.sms import alibaba_templates_check

        checks.register(alibaba_templates_check)
