from django import template

from ..export_pages import export_form_context

register = template.Library()


@register.inclusion_tag("imports/export_form.html", takes_context=True)
def export_form(context):
    """The export form for the signed-in user (layers they may read, formats, CRSs)."""
    return export_form_context(context["request"].user)
