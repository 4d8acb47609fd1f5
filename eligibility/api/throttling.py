import logging

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import SimpleRateThrottle

logger = logging.getLogger(__name__)

# Counters kept in this process while the shared cache (Redis) is unreachable:
# the limit then holds per web process rather than not at all, and screening
# goes on answering.
_local_counters = LocMemCache("linghuo-screening-throttle", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


class ScreeningRateThrottle(SimpleRateThrottle):
    """Requests per client address to the screening API (setting
    ``LINGHUO_SCREENING_RATE``, env ``SCREENING_RATE_LIMIT``; default 300/min).

    The rate is read on every request so that a changed setting applies at once.
    When the cache cannot be reached the throttle fails open to a counter in
    this process (``_local_counters``).
    """

    scope = "screening"

    def get_rate(self) -> str | None:
        return settings.LINGHUO_SCREENING_RATE

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache backend failed (Redis down or frozen): count here instead
            logger.warning("Screening throttle: shared cache unreachable, counting in this process", exc_info=True)
            self.cache = _local_counters
            return super().allow_request(request, view)
