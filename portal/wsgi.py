import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

application = get_wsgi_application()

# What a worker loads at start (settings, apps, the URLs and the views they import) lives as long as
# the worker. Imported now and moved out of the garbage collector's generations, it is not scanned
# again by every full collection: a request that builds tens of thousands of rows (a month of
# payments for finance) spent a quarter of its time rescanning it.
get_resolver().url_patterns  # noqa: B018 (importing the views)
gc.freeze()
