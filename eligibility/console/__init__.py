"""The policy console: policy administrators' own pages, in plain language (issue 14).

Parameters grouped by programme with their labels, units and sources; each
programme's rules as sentences generated from the rule trees the engine runs
(``describe``); changes as proposals approved by a second administrator, with the
reference cases and the what-if preview before approval; the ends of values and
programmes announced 60 days ahead. Views are thin: the writes are
``eligibility.services``, the reads ``selectors``.
"""
