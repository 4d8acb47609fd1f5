"""Addresses for links that leave the site: e-mail, SMS and the inbox.

They are built from ``LINGHUO_PUBLIC_URL``, never from the request's Host
header (which a client chooses) and never from 127.0.0.1 in production.
"""

from django.conf import settings


def public_url(path: str = "/") -> str:
    """The absolute address of ``path`` (a site path such as ``/applications/LH-…/``)."""
    return settings.LINGHUO_PUBLIC_URL.rstrip("/") + "/" + path.lstrip("/")
