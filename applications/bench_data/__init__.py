"""A whole city of made-up data for benchmarks and scale tests (``manage.py seed_bench``).

- ``generator``: the rows (people, applications and everything that happened to them, the
  audit trail), one generator whatever stores them, deterministic for a seed;
- ``writers``: COPY on PostgreSQL, ``bulk_create`` elsewhere (SQLite in the tests);
- ``seed``: what is read first and done after (``city_seed``);
- ``programmes``, ``people``, ``chain``: who applies for what, the people, the audit chain;
- ``registry``: the department registry's persons (PostgreSQL's COPY).

Nothing here is imported by the portal itself.
"""
