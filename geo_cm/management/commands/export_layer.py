"""``manage.py export_layer LAYER FILE [--format] [--subdistrict] [--status] [--bbox] [--encoding]``.

Writes every staff-readable field (the command runs with staff rights) in EPSG:4326.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from rest_framework.exceptions import ValidationError

from geo_cm.api.params import ItemFilters, parse_bbox, parse_statuses
from geo_cm.imports.exports import FORMATS, layer_export
from geo_cm.registry import registry


class _Staff:
    """Reads like a user holding every view permission (the CLI is an operator's tool)."""

    is_authenticated = True

    def has_perm(self, perm):
        return True


class Command(BaseCommand):
    help = "Export a layer as GeoJSON, GeoPackage, Shapefile zip, CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("layer")
        parser.add_argument("file")
        parser.add_argument("--format", choices=list(FORMATS), help="default: from the file suffix")
        parser.add_argument("--subdistrict")
        parser.add_argument("--status", help="comma-separated statuses")
        parser.add_argument("--bbox", help="minLon,minLat,maxLon,maxLat (WGS84)")
        parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "gbk"])

    def handle(self, *args, **opts):
        layer = registry.get(opts["layer"])
        if layer is None:
            raise CommandError(f"There is no layer {opts['layer']}.")
        path = Path(opts["file"])
        suffix = path.suffix.lower().lstrip(".")
        fmt = opts["format"] or {"json": "geojson", "zip": "shp"}.get(suffix, suffix)
        if fmt not in FORMATS:
            raise CommandError(f"Give --format ({', '.join(FORMATS)}); {path.name} does not say.")
        try:
            filters = ItemFilters(
                bbox=parse_bbox(opts["bbox"]),
                statuses=parse_statuses(opts["status"], layer),
                subdistrict=opts["subdistrict"],
            )
        except ValidationError as exc:
            raise CommandError(str(next(iter(exc.detail.values()))[0])) from exc
        export = layer_export(
            layer=layer, user=_Staff(), fmt=fmt, filters=filters, encoding=opts["encoding"]
        )
        path.write_bytes(export.content)
        self.stdout.write(f"{export.count} features written to {path} ({fmt}).")
