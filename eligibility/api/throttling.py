from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class ScreeningRateThrottle(SimpleRateThrottle):
    """Requests per client address to the screening API (setting
    ``LINGHUO_SCREENING_RATE``, env ``SCREENING_RATE_LIMIT``; default 300/min).

    The rate is read on every request so that a changed setting applies at once.
    """

    scope = "screening"

    def get_rate(self) -> str | None:
        return settings.LINGHUO_SCREENING_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
