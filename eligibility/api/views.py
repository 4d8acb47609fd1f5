"""The screening API: no login, no CSRF token, stores nothing (catalogue, section 5)."""

import orjson
from django.conf import settings
from django.http import HttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from eligibility.api import serializers
from eligibility.api.body import json_object_from
from eligibility.api.catalogue import programme_catalogue
from eligibility.api.errors import RequestInvalid, api_exception_handler, fact_errors, printable_errors
from eligibility.api.throttling import ScreeningRateThrottle
from eligibility.facts import FactsInvalid, Group, future_date_errors, parse_as_of, parse_facts
from eligibility.parameter_cache import policy_version_per_request
from eligibility.results import results_to_dict
from eligibility.services import screening_run

ERRORS_DESCRIPTION = (
    'Malformed input answers 400 with `{"errors": {"<key>": ["<message>"]}}`. Keys: `request` for '
    "the request as a whole (content type other than application/json, body not JSON or not an object, "
    "rate limit), `as_of`, `facts` when it is not an object, `facts.<name>` for one fact (unknown fact, "
    "wrong type, impossible date, unknown group code), or the name of an unknown top-level field. "
    "Messages are in the request's language. Above the rate limit per client address (setting "
    "`LINGHUO_SCREENING_RATE`, default 300 a minute) the answer is 429 with a `Retry-After` header "
    "and an error under `request`."
)

CATALOGUE_EXAMPLE = {
    "as_of": "2024-03-01",
    "facts": {
        "birth_date": "1999-05-02",
        "groups": [Group.COLLEGE_GRADUATE.value],
        "graduation_date": "2023-06-30",
        "employed_since_graduation": False,
        "employment_form": "part_time",
        "pays_flexible_pension": True,
    },
}


ACCEPT_LANGUAGE = OpenApiParameter(
    "Accept-Language",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any value is accepted. Messages and explanations are in the first language of the list that the portal "
        "has, simplified Chinese (`zh-hans`, also `zh-CN`, `zh`) or English (`en`, also `en-GB`), and in simplified "
        "Chinese when it has none of them (an unknown language is not an error)."
    ),
)


class BodyRequiredSchema(AutoSchema):
    """The request body is required: without a JSON object the answer is 400 (an empty one, ``{}``, will do)."""

    def _get_request_body(self, direction="request"):
        body = super()._get_request_body(direction)
        if body:
            body["required"] = True
        return body


class JsonOnly(BaseContentNegotiation):
    """Answers JSON whatever the Accept header says: an unusual header is not an error worth a 406."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ScreeningApiView(APIView):
    authentication_classes = []
    permission_classes = []
    parser_classes = [JSONParser]  # declared for the schema; bodies are read by json_object_from
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnly
    throttle_classes = [ScreeningRateThrottle]

    def get_exception_handler(self):
        return api_exception_handler

    @policy_version_per_request
    def dispatch(self, request, *args, **kwargs):
        # The throttle, the parameters and the screening of one request read the policy version once.
        return super().dispatch(request, *args, **kwargs)


class ScreeningsView(ScreeningApiView):
    schema = BodyRequiredSchema()

    @extend_schema(
        operation_id="screenings_create",
        summary="Screen a person for every programme",
        description=(
            "`as_of` and every fact are optional; an absent or null fact is unknown. Answers one result per "
            "programme, in catalogue order, including those not in force on `as_of`. Money is a string with two "
            "decimals; `amount` is null for programmes without cash and for statuses other than `eligible`; "
            "`max_periods` appears only with `per: month`. Explanations follow `Accept-Language` (`zh-hans` "
            "by default, or `en`). Birth, graduation and business registration dates after today are refused "
            "(400), as the screener refuses them. Nothing is stored. " + ERRORS_DESCRIPTION
        ),
        request=serializers.ScreeningRequestSerializer,
        responses={
            200: serializers.ScreeningResponseSerializer,
            400: serializers.ErrorsSerializer,
            429: serializers.ErrorsSerializer,
        },
        parameters=[ACCEPT_LANGUAGE],
        examples=[
            OpenApiExample("Recent graduate working part-time", value=CATALOGUE_EXAMPLE, request_only=True),
            OpenApiExample(
                "Unknown group code",
                value={"errors": {"facts.groups": ["Unknown group code: student."]}},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        # Served by ``dispatch`` below without DRF's request and response layers;
        # this method is what the schema generator reads (and a fallback).
        return Response(self.answer(request))

    @policy_version_per_request
    def dispatch(self, request, *args, **kwargs):
        """POST is answered directly: the throttle, the body, the screening and the
        JSON answer, the same bytes DRF's JSON renderer writes, with the same error
        shapes (``eligibility.api.errors``), but without wrapping the request and the
        response (about a fifth of a screening's time). Every other method goes
        through DRF (405 for a GET, for example)."""
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)
        self.args, self.kwargs, self.request, self.headers = args, kwargs, request, self.default_response_headers
        throttle = ScreeningRateThrottle() if settings.LINGHUO_SCREENING_RATE else None
        if throttle is not None and not throttle.allow_request(request, self):
            # DRF answers a throttled request: 429, Retry-After, the errors shape.
            return super().dispatch(request, *args, **kwargs)
        try:
            answer, status_code = self.answer(request), 200
        except RequestInvalid as invalid:
            answer, status_code = {"errors": printable_errors(invalid.errors)}, invalid.status_code
        response = HttpResponse(json_bytes(answer), status=status_code, content_type="application/json")
        response["Allow"] = ", ".join(self.allowed_methods)
        return response

    def answer(self, request) -> dict:
        """The answer to a screening request, or ``RequestInvalid``."""
        data = json_object_from(request)
        unknown = sorted(set(data) - {"as_of", "facts"})
        errors: dict[str, list[str]] = {name: [_("Unknown field; send only as_of and facts.")] for name in unknown}
        as_of = facts = None
        try:
            as_of = parse_as_of(data.get("as_of"))
        except FactsInvalid as invalid:
            errors.update(invalid.errors)
        raw_facts = data.get("facts")
        try:
            facts = parse_facts({} if raw_facts is None else raw_facts)
        except FactsInvalid as invalid:
            errors.update(invalid.errors if not isinstance(raw_facts, dict) else fact_errors(invalid.errors))
        if isinstance(raw_facts, dict):
            # What the screener refuses, the API refuses: a birth, graduation or registration after today.
            errors.update(fact_errors(future_date_errors(raw_facts)))
        if errors:
            raise RequestInvalid(errors)
        results = screening_run(facts=facts, as_of=as_of)
        answer = results_to_dict(as_of, results, request.LANGUAGE_CODE)
        answer["local_settings"] = local_settings_used(results)
        return answer


def json_bytes(data) -> bytes:
    """``data`` as DRF's JSON renderer writes it: compact, UTF-8, and U+2028/U+2029
    escaped for JavaScript; written by orjson (a tenth of the time of ``json.dumps``).
    The answers hold only text, numbers, booleans and null; a lazy text is turned
    into text as DRF's encoder would."""
    raw = orjson.dumps(data, default=_json_default)
    if b"\xe2\x80\xa8" in raw or b"\xe2\x80\xa9" in raw:
        raw = raw.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return raw


def _json_default(value):
    if isinstance(value, Promise):
        return str(value)
    raise TypeError(f"Not JSON: {type(value).__name__}")


class ProgrammesView(ScreeningApiView):
    @extend_schema(
        operation_id="programs_list",
        summary="Programmes and the parameter values in force on a date",
        description=(
            "Programmes in catalogue order with the keys of the parameters their rules read, and every "
            "parameter with a value in force on `as_of` (today in Asia/Shanghai when absent): its value, the "
            "date it is valid from, whether it is a local setting rather than national policy, and the "
            "programmes that read it. " + ERRORS_DESCRIPTION
        ),
        parameters=[
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATE,
                OpenApiParameter.QUERY,
                required=False,
                description="YYYY-MM-DD; today in Asia/Shanghai when absent. An empty value is refused (400).",
            ),
            ACCEPT_LANGUAGE,
        ],
        responses={
            200: serializers.ProgrammesResponseSerializer,
            400: serializers.ErrorsSerializer,
            429: serializers.ErrorsSerializer,
        },
    )
    def get(self, request):
        try:
            as_of = parse_as_of(request.query_params.get("as_of"))
        except FactsInvalid as invalid:
            raise RequestInvalid(invalid.errors) from None
        return Response(programme_catalogue(as_of=as_of))


def local_settings_used(results) -> list[str]:
    """Keys of the parameters the results read whose value is a local setting
    (catalogue, section 3: the API labels them)."""
    return sorted(
        {key for result in results for key, parameter in result.parameters_used.items() if parameter.local_default}
    )
