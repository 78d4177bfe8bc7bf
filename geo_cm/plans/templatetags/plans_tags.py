"""Template filters for the plans pages."""

from django import template

from ..svg import number

register = template.Library()


@register.filter
def plan_number(value):
    """1200 not 1200.0; at most three decimals; a dash for a missing value."""
    return number(value)
