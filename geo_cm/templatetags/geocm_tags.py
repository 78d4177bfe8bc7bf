"""Template tags shared by the platform's pages."""

from django import template
from django.utils.html import json_script

register = template.Library()


@register.simple_tag
def json_data(element_id, **values):
    """Data for a page's script as ``<script type="application/json">``, never as code.

    The Content-Security-Policy refuses inline scripts, so pages hand their scripts
    configuration and translated words this way:
    ``{% json_data "map-text" loading=_("loading…") %}``, read with
    ``JSON.parse(document.getElementById("map-text").textContent)``.
    """
    return json_script({key: str(value) for key, value in values.items()}, element_id)
