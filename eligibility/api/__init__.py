"""The screening API (catalogue, section 5): ``POST /api/v1/screenings``,
``GET /api/v1/programs`` and the OpenAPI schema at ``/api/v1/schema``."""
