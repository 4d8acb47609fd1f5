"""Shapes of the API's requests and answers, for the OpenAPI schema.

Requests are read by ``eligibility.facts`` (the one parser the screener shares)
and answers built by ``eligibility.results``; these serializers describe them,
and the facts part is generated from ``FACT_FIELDS`` so that it cannot drift.
"""

from datetime import date

from django.utils import timezone
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from eligibility.facts import DECIMAL_LIMIT, FACT_FIELDS, EmploymentForm, FactField, FactType, Group
from eligibility.results import Status


class ClosedSerializer(serializers.Serializer):
    """A request object whose schema says what the API refuses: other fields
    (``additionalProperties: false``) and whatever ``finish_schema`` adds."""

    @classmethod
    def finish_schema(cls, schema: dict) -> dict:
        return schema


class ClosedSerializerExtension(OpenApiSerializerExtension):
    target_class = ClosedSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        return self.target.finish_schema(schema)


def not_after_pattern(today: date) -> str:
    """A regular expression matching the ``YYYY-MM-DD`` strings on or before ``today``.

    Such strings sort as their dates do, so the pattern lists, for each digit of
    today's date, the strings equal up to that digit and smaller in it."""
    text = today.isoformat()
    choices = [text]
    for position, character in enumerate(text):
        if character == "-" or character == "0":
            continue
        smaller = "0" if character == "1" else f"[0-{int(character) - 1}]"
        rest = "".join("-" if later == "-" else "[0-9]" for later in text[position + 1 :])
        choices.append(text[:position] + smaller + rest)
    return "^(" + "|".join(choices) + ")$"


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "number",
                "minimum": 0,
                "maximum": int(DECIMAL_LIMIT),
                "exclusiveMaximum": True,
                "multipleOf": 0.01,
            },
            {"type": "string", "pattern": r"^0*[0-9]{1,12}(\.[0-9]{1,2})?$"},
        ],
        "description": (
            "A JSON number or a numeric string, with at most two decimal places, "
            f"at least 0 and below {int(DECIMAL_LIMIT):,}."
        ),
        "example": "200000",
    }
)
class DecimalFactField(serializers.Field):
    pass


def _fact_field(fact: FactField) -> serializers.Field:
    type_ = fact.type
    options = {"required": False, "allow_null": True, "help_text": str(fact.label)}
    if type_ == FactType.DATE:
        return serializers.DateField(**options)
    if type_ == FactType.BOOL:
        return serializers.BooleanField(**options)
    if type_ == FactType.INT:
        return serializers.IntegerField(min_value=0, max_value=fact.maximum, **options)
    if type_ == FactType.DECIMAL:
        return DecimalFactField(**options)
    if type_ == FactType.REGION:
        return serializers.RegexField(r"^[0-9]{6}$", **options)
    if type_ == FactType.GROUPS:
        return serializers.ListField(child=serializers.ChoiceField(choices=Group.values), **options)
    return serializers.ChoiceField(choices=EmploymentForm.values, **options)


class FactsSerializer(ClosedSerializer):
    """What is known about the person; every fact is optional, absent or null means unknown.
    Other names are refused (`facts.<name>`)."""

    def get_fields(self):
        return {name: _fact_field(field) for name, field in FACT_FIELDS.items()}

    @classmethod
    def finish_schema(cls, schema: dict) -> dict:
        # Today's pattern: the schema is generated on each request for it.
        pattern = not_after_pattern(timezone.localdate())
        for name, field in FACT_FIELDS.items():
            if field.not_after_today:
                described = schema["properties"][name]
                described["pattern"] = pattern
                described["description"] = (
                    f"{described.get('description', '')} (on or before today in Asia/Shanghai)".strip()
                )
        # eligibility.facts.parse_facts: a registration date means a registered business.
        schema["not"] = {
            "description": "business_registered false together with a business_registered_on date",
            "type": "object",
            "required": ["business_registered", "business_registered_on"],
            "properties": {
                "business_registered": {"type": "boolean", "enum": [False]},
                "business_registered_on": {"type": "string"},
            },
        }
        return schema


class ScreeningRequestSerializer(ClosedSerializer):
    """Both fields are optional; any other field is refused."""

    as_of = serializers.DateField(
        required=False, allow_null=True, help_text="Date to screen for; today in Asia/Shanghai when absent or null."
    )
    facts = FactsSerializer(required=False, allow_null=True, help_text="Absent or null: nothing is known.")


class AmountSerializer(serializers.Serializer):
    value = serializers.RegexField(r"^\d+\.\d{2}$", help_text='CNY with two decimals, e.g. "500.00".')
    currency = serializers.ChoiceField(choices=["CNY"])
    per = serializers.ChoiceField(choices=["month", "year", "once", "loan"])
    max_periods = serializers.IntegerField(
        required=False, help_text="Months (per=month) or years (per=year) at most; only with per month or year."
    )
    explanation = serializers.CharField(
        help_text="How the amount is computed, in the request's language, each local setting labelled "
        '(e.g. "50% × 1,000.00 yuan minimum contribution base (local setting) = 500.00 yuan a month, …").'
    )


class CriterionSerializer(serializers.Serializer):
    id = serializers.CharField()
    passed = serializers.BooleanField(allow_null=True, help_text="null when facts are missing to decide.")
    explanation = serializers.CharField(help_text="Plain-language sentence in the request's language.")
    source = serializers.CharField(help_text='Policy source file, or "local setting".')


class SeeAlsoSerializer(serializers.Serializer):
    program = serializers.SlugField(help_text="The programme pointed to; one the person may still qualify for.")
    reason = serializers.CharField(help_text="Why, in the request's language.")


class ProgrammeResultSerializer(serializers.Serializer):
    program = serializers.SlugField()
    status = serializers.ChoiceField(choices=Status.values)
    amount = AmountSerializer(allow_null=True, help_text="null without cash and unless status is eligible.")
    criteria = CriterionSerializer(many=True)
    missing_facts = serializers.ListField(child=serializers.ChoiceField(choices=list(FACT_FIELDS)))
    local_settings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Keys of the parameters this programme's rules read whose value is a local setting, "
        "not national policy.",
    )
    see_also = SeeAlsoSerializer(
        many=True,
        help_text="Other programmes this result points to: an ineligible result names what can help instead "
        "(enrolment in insurance, help before a business is registered).",
    )
    decided_by = serializers.CharField(
        allow_null=True,
        help_text="Who decides, in the request's language, when a partner does and not this portal "
        "(the civil-affairs office, the partner bank, the tax bureau); null otherwise.",
    )


class ScreeningResponseSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    results = ProgrammeResultSerializer(many=True, help_text="One per programme, in catalogue order.")
    local_settings = serializers.ListField(
        child=serializers.CharField(),
        help_text="Keys of the parameters these results used whose value is a local setting, not national policy.",
    )


class ErrorsSerializer(serializers.Serializer):
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages by key: `request`, `as_of`, `facts`, `facts.<name>` or an unknown field's name.",
    )


class ParameterSerializer(serializers.Serializer):
    key = serializers.CharField()
    value = serializers.JSONField(help_text="Stored form: a string, or a list of codes.")
    unit = serializers.CharField(allow_blank=True)
    valid_from = serializers.DateField()
    local_setting = serializers.BooleanField(help_text="The value is a local setting, not national policy.")
    description = serializers.CharField()
    source = serializers.CharField(allow_blank=True)
    programs = serializers.ListField(child=serializers.SlugField(), help_text="Programmes whose rules read it.")


class ProgrammeSerializer(serializers.Serializer):
    program = serializers.SlugField()
    title = serializers.CharField()
    summary = serializers.CharField(allow_blank=True)
    kind = serializers.CharField()
    per = serializers.ChoiceField(choices=["month", "year", "once", "loan", "none"])
    in_force_from = serializers.DateField()
    in_force = serializers.BooleanField()
    sources = serializers.ListField(child=serializers.CharField())
    parameters = serializers.ListField(child=serializers.CharField(), help_text="Keys of the parameters it reads.")


class ProgrammesResponseSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    programs = ProgrammeSerializer(many=True)
    parameters = ParameterSerializer(many=True, help_text="Every parameter with a value in force on as_of.")
