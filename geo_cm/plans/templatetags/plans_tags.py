"""Template filters for the plans pages."""

from django import template
from django.utils.translation import get_language

from ..svg import number

register = template.Library()


@register.filter
def plan_number(value):
    """1200 not 1200.0; at most three decimals; a dash for a missing value."""
    return number(value)


# Chinese measure words of the plan's units (个 berths, 条 alleys or roads, 座 toilets, 处
# sites) say only "how many": in English the target's title names what is counted, so
# they are left out. Units with a meaning of their own (km, %) stay.
MEASURE_WORDS = {"个", "条", "座", "处", "项", "家", "辆", "盏", "块", "次", "件"}


@register.filter
def plan_unit(unit):
    """The unit as shown in the active language (measure words dropped in English)."""
    if (get_language() or "").startswith("en") and unit in MEASURE_WORDS:
        return ""
    return unit
