"""Writes to applications. Split by part of the journey:

- ``transitions``: the state machine (the only way a status changes)
- ``intake``: drafts, steps, submission, withdrawal, answers to requests
"""
