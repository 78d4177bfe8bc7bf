"""``manage.py export_layer LAYER FILE``: write a layer to a GIS file.

Options: ``--format``, ``--subdistrict``, ``--status``, ``--bbox``, ``--encoding``. Writes
every staff-readable field (the command runs with staff rights) in EPSG:4326, or in the
CRS ``--crs`` names from the export allow-list (CGCS2000 and its Gauss-Kruger zones).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from geo_cm.api.params import ItemFilters, parse_bbox, parse_statuses
from geo_cm.imports.exports import EXPORT_CRS, FORMATS, export_crs, layer_export
from geo_cm.registry import registry


class _Staff:
    """Reads like a user holding every view permission (the CLI is an operator's tool)."""

    is_authenticated = True

    def has_perm(self, perm):
        return True


class Command(BaseCommand):
    @property
    def help(self):
        # A property: argparse needs a real string, in the language active when it is asked.
        return _("Export a layer as GeoJSON, GeoPackage, Shapefile zip, CSV or XLSX.")

    def add_arguments(self, parser):
        parser.add_argument("layer", help=_("layer slug, e.g. toilets"))
        parser.add_argument("file", help=_("the file to write"))
        parser.add_argument(
            "--format", choices=list(FORMATS), help=_("default: from the file suffix")
        )
        parser.add_argument("--subdistrict", help=_("only this subdistrict (its code)"))
        parser.add_argument("--status", help=_("comma-separated statuses"))
        parser.add_argument("--bbox", help=_("minLon,minLat,maxLon,maxLat (WGS84)"))
        parser.add_argument(
            "--encoding",
            default="utf-8",
            choices=["utf-8", "gbk"],
            help=_("text encoding of a shapefile (written with a .cpg)"),
        )
        parser.add_argument(
            "--crs",
            default="EPSG:4326",
            choices=[f"EPSG:{srid}" for srid in EXPORT_CRS],
            help=_("coordinate system of the file"),
        )

    def handle(self, *args, **opts):
        layer = registry.get(opts["layer"])
        if layer is None:
            raise CommandError(
                _("There is no layer %(slug)s; layers: %(all)s.")
                % {"slug": opts["layer"], "all": ", ".join(lay.slug for lay in registry.all())}
            )
        path = Path(opts["file"])
        suffix = path.suffix.lower().lstrip(".")
        fmt = opts["format"] or {"json": "geojson", "zip": "shp"}.get(suffix, suffix)
        if fmt not in FORMATS:
            raise CommandError(
                _("Give --format (%(formats)s); %(name)s does not say.")
                % {"formats": ", ".join(FORMATS), "name": path.name}
            )
        try:
            filters = ItemFilters(
                bbox=parse_bbox(opts["bbox"]),
                statuses=parse_statuses(opts["status"], layer),
                subdistrict=opts["subdistrict"],
            )
        except ValidationError as exc:
            raise CommandError(str(next(iter(exc.detail.values()))[0])) from exc
        export = layer_export(
            layer=layer,
            user=_Staff(),
            fmt=fmt,
            filters=filters,
            encoding=opts["encoding"],
            crs=export_crs(opts["crs"]),
        )
        path.write_bytes(export.content)
        self.stdout.write(
            _("%(n)d features written to %(path)s (%(format)s).")
            % {"n": export.count, "path": path, "format": fmt}
        )
