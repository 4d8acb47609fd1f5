"""Every error of the API has one shape: ``{"errors": {"<key>": ["<message>"]}}``.

Keys (also stated in the OpenAPI description):

- ``request``: the request as a whole (content type, body not JSON or not an
  object, method, rate limit);
- ``as_of``, ``facts`` (not an object) or an unknown top-level field's name;
- ``facts.<name>`` for one fact, e.g. ``facts.birth_date``.
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

REQUEST = "request"


class RequestInvalid(exceptions.APIException):
    """Malformed input: answers 400 with the given errors."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__()
        self.errors = errors


def fact_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Errors of ``eligibility.facts.parse_facts`` (keyed by fact name) keyed as ``facts.<name>``."""
    return {f"facts.{name}": messages for name, messages in errors.items()}


def api_exception_handler(exc, context):
    """DRF's exception handler, answering in the errors shape.

    A body DRF could not parse and a content type it does not accept are
    malformed input: 400, not 415, so that a client meets one error shape.
    """
    if isinstance(exc, RequestInvalid):
        return Response({"errors": printable_errors(exc.errors)}, status=exc.status_code)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.Throttled):
        message = _("Too many requests from your address; try again in %(seconds)s seconds.") % {
            "seconds": exc.wait if exc.wait is not None else 60
        }
        errors = {REQUEST: [message]}
    elif isinstance(exc, exceptions.ParseError | exceptions.UnsupportedMediaType):
        response.status_code = status.HTTP_400_BAD_REQUEST
        errors = {REQUEST: [_("Send a JSON object with Content-Type: application/json.")]}
    elif isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        errors = {key: _messages(value) for key, value in exc.detail.items()}
    else:
        errors = {REQUEST: _messages(getattr(exc, "detail", str(exc)))}
    response.data = {"errors": printable_errors(errors)}
    return response


def _messages(detail) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for item in detail]
    if isinstance(detail, dict):
        return [str(item) for value in detail.values() for item in _messages(value)]
    return [str(detail)]


def printable_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    # Keys and messages may echo what the client sent (an unknown fact's name, a
    # group code); a lone surrogate in them could not be encoded as UTF-8.
    return {_utf8(key): [_utf8(message) for message in messages] for key, messages in errors.items()}


def _utf8(text: str) -> str:
    return str(text).encode("utf-8", "backslashreplace").decode("utf-8")
