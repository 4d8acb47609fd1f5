"""Reading a JSON request body without any input being able to raise a 500."""

import json

from django.core.exceptions import RequestDataTooBig
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _

from eligibility.api.errors import REQUEST, RequestInvalid


def json_object_from(request) -> dict:
    """The request body as a JSON object (a ``dict``), or ``RequestInvalid``.

    Checks what DRF's JSON parser does not: NaN and Infinity are not JSON,
    nesting too deep for the parser and numbers too long to convert are
    malformed input, not server errors.
    """
    content_type, _params = parse_header_parameters(request.META.get("CONTENT_TYPE", ""))
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise RequestInvalid({REQUEST: [_("Send the request as JSON, with Content-Type: application/json.")]})
    try:
        raw = request.body
    except RequestDataTooBig:
        raise RequestInvalid({REQUEST: [_("The request body is too large.")]}) from None
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RequestInvalid({REQUEST: [_("The request body is not valid JSON.")]}) from None
    if not isinstance(data, dict):
        raise RequestInvalid({REQUEST: [_("The request body must be a JSON object.")]})
    return data


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")
