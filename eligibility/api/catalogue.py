"""What ``GET /api/v1/programs`` answers: programmes and the parameter values in force on a date."""

from datetime import date

from eligibility.models import Parameter
from eligibility.parameter_cache import parameters_in_force
from eligibility.rules import PROGRAMMES, parameters_for
from eligibility.wording import is_chinese


def programme_catalogue(*, as_of: date) -> dict[str, object]:
    """Programmes in catalogue order with the keys of the parameters they read, and
    every parameter in force on ``as_of`` with the programmes that read it. Three queries."""
    parameters = parameters_in_force(as_of)
    chinese = is_chinese()
    keys_by_programme = {
        programme.slug: parameters_for(programme.slug) if programme.slug in PROGRAMMES else ()
        for programme in parameters.programmes
    }
    programmes = [
        {
            "program": programme.slug,
            "title": programme.title_zh if chinese else programme.title_en,
            "summary": programme.summary_zh if chinese else programme.summary_en,
            "kind": programme.kind,
            "per": programme.per,
            "in_force_from": programme.in_force_from.isoformat(),
            "in_force": programme.in_force_on(as_of),
            "sources": list(programme.sources),
            "parameters": [key for key in keys_by_programme[programme.slug] if key in parameters],
        }
        for programme in parameters.programmes
    ]
    described = {row.key: row for row in Parameter.objects.only("key", "description_zh", "description_en", "source")}
    listed = []
    for in_force in sorted(parameters, key=lambda parameter: parameter.key):
        row = described.get(in_force.key)
        listed.append(
            {
                **in_force.to_dict(),
                "description": (row.description_zh if chinese else row.description_en) if row else "",
                "source": row.source if row else "",
                "programs": [slug for slug, keys in keys_by_programme.items() if in_force.key in keys],
            }
        )
    return {"as_of": as_of.isoformat(), "programs": programmes, "parameters": listed}
