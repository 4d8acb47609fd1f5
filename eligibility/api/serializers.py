"""Shapes of the API's requests and answers, for the OpenAPI schema.

Requests are read by ``eligibility.facts`` (the one parser the screener shares)
and answers built by ``eligibility.results``; these serializers describe them,
and the facts part is generated from ``FACT_FIELDS`` so that it cannot drift.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from eligibility.facts import FACT_FIELDS, EmploymentForm, FactField, FactType, Group
from eligibility.results import Status


@extend_schema_field(
    {
        "oneOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"},
        ],
        "description": "A JSON number or a numeric string with at most two decimal places.",
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
        return serializers.RegexField(r"^\d{6}$", **options)
    if type_ == FactType.GROUPS:
        options.pop("allow_null")
        return serializers.ListField(child=serializers.ChoiceField(choices=Group.values), **options)
    return serializers.ChoiceField(choices=EmploymentForm.values, **options)


class FactsSerializer(serializers.Serializer):
    """What is known about the person; every fact is optional, absent or null means unknown."""

    def get_fields(self):
        return {name: _fact_field(field) for name, field in FACT_FIELDS.items()}


class ScreeningRequestSerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False, allow_null=True, help_text="Date to screen for; today in Asia/Shanghai when absent."
    )
    facts = FactsSerializer(required=False)


class AmountSerializer(serializers.Serializer):
    value = serializers.RegexField(r"^\d+\.\d{2}$", help_text='CNY with two decimals, e.g. "500.00".')
    currency = serializers.ChoiceField(choices=["CNY"])
    per = serializers.ChoiceField(choices=["month", "once", "loan"])
    max_periods = serializers.IntegerField(required=False, help_text="Months at most; only with per=month.")


class CriterionSerializer(serializers.Serializer):
    id = serializers.CharField()
    passed = serializers.BooleanField(allow_null=True, help_text="null when facts are missing to decide.")
    explanation = serializers.CharField(help_text="Plain-language sentence in the request's language.")
    source = serializers.CharField(help_text='Policy source file, or "local setting".')


class ProgrammeResultSerializer(serializers.Serializer):
    program = serializers.SlugField()
    status = serializers.ChoiceField(choices=Status.values)
    amount = AmountSerializer(allow_null=True, help_text="null without cash and unless status is eligible.")
    criteria = CriterionSerializer(many=True)
    missing_facts = serializers.ListField(child=serializers.ChoiceField(choices=list(FACT_FIELDS)))


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
    per = serializers.ChoiceField(choices=["month", "once", "loan", "none"])
    in_force_from = serializers.DateField()
    in_force = serializers.BooleanField()
    sources = serializers.ListField(child=serializers.CharField())
    parameters = serializers.ListField(child=serializers.CharField(), help_text="Keys of the parameters it reads.")


class ProgrammesResponseSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    programs = ProgrammeSerializer(many=True)
    parameters = ParameterSerializer(many=True, help_text="Every parameter with a value in force on as_of.")
