"""The export buttons of the GIS pages: a plain GET form (no script) whose choices are
checked here and handed to the export endpoint by a redirect, so a download is one click
and the endpoint stays the one place that writes files."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from geo_cm.models import Subdistrict
from geo_cm.registry import registry

from .exports import FORMATS, SHAPEFILE_ENCODINGS, export_crs, export_crs_choices, export_error


def export_form_context(user) -> dict:
    """What the export form offers this user: the layers they may read, the formats, the
    CRSs of the allow-list and the subdistricts (English names under ?lang=en)."""
    english = (get_language() or "").startswith("en")
    return {
        "export_layers": [(lay.slug, lay.title) for lay in registry.visible_to(user)],
        "export_formats": [
            ("geojson", "GeoJSON"),
            ("gpkg", "GeoPackage"),
            ("shp", _("Shapefile (zip)")),
            ("csv", "CSV"),
            ("xlsx", "Excel (XLSX)"),
        ],
        "export_crs": export_crs_choices(),
        "export_subdistricts": [
            (s.code, s.name_en if english and s.name_en else s.name)
            for s in Subdistrict.objects.order_by("code").only("code", "name", "name_en")
        ],
    }


@login_required
def export_download(request):
    """``/imports/export?layer=&format=&crs=&encoding=&subdistrict=`` -> the file."""
    query = request.GET
    layer = registry.get(query.get("layer", ""))
    if layer is None or not layer.visible_to(request.user):
        raise Http404(_("No such layer."))
    problems = []
    fmt = query.get("format", "geojson")
    if fmt not in FORMATS:
        problems.append(export_error("format"))
    crs = export_crs(query.get("crs"))
    if crs is None:
        problems.append(export_error("crs"))
    encoding = query.get("encoding", "utf-8")
    if encoding.lower() not in SHAPEFILE_ENCODINGS:
        problems.append(export_error("encoding"))
    if problems:
        message = " ".join(problems)
        return render(request, "imports/export_refused.html", {"message": message}, status=400)
    params = {"format": fmt, "crs": crs.curie}
    if fmt == "shp":
        params["encoding"] = encoding
    if query.get("subdistrict"):
        params["subdistrict"] = query["subdistrict"]  # checked by the endpoint (a 400 names it)
    url = reverse("layer-export", kwargs={"layer": layer.slug})
    return redirect(f"{url}?{urlencode(params)}")
