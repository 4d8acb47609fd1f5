"""Template helpers for the citizen's pages."""

from django import template

from applications import case_summary

register = template.Library()


@register.simple_tag
def citizen_check(document):
    """``{% citizen_check document as check %}``: the file's check in words for the person who sent it."""
    return case_summary.document_check(document)
