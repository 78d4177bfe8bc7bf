"""``manage.py import_layer LAYER FILE``: import a GIS file into a layer, all or nothing.

Examples::

    manage.py import_layer toilets 公厕.zip --dry-run
    manage.py import_layer toilets points.shp --crs 4549 --mode upsert
    manage.py import_layer parking-facilities amap.csv --from-gcj02 --mapping map.json

On any problem the exit status is 1 and one sentence says what to do; the row report is
printed (first rows) and can be written as CSV with ``--report``.
"""

import csv
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from geo_cm.imports.models import ImportRecord
from geo_cm.imports.services import USER_ERRORS, import_file

STEPS = ("read", "validated", "staged", "updated", "inserted", "subdistricts")


class Command(BaseCommand):
    help = "Import a shapefile (.shp or .zip), GeoPackage, GeoJSON, KML, CSV or XLSX into a layer."

    def add_arguments(self, parser):
        parser.add_argument("layer", help="layer slug, e.g. toilets")
        parser.add_argument("file", help="the file to import")
        parser.add_argument(
            "--encoding", help="text encoding when there is no .cpg (UTF-8, GBK, GB18030)"
        )
        parser.add_argument(
            "--crs", help="coordinate system when the file has none, e.g. 4490, 4549"
        )
        offset = parser.add_mutually_exclusive_group()
        offset.add_argument(
            "--from-gcj02", action="store_true", help="coordinates are Amap/Tencent GCJ-02"
        )
        offset.add_argument("--from-bd09", action="store_true", help="coordinates are Baidu BD-09")
        parser.add_argument("--mapping", help='JSON file {"model field": "source column"}')
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument("--mode", choices=("create", "upsert", "replace"), default="upsert")
        parser.add_argument(
            "--subdistrict", help="subdistrict code whose records --mode replace replaces"
        )
        parser.add_argument(
            "--repair-invalid", action="store_true", help="repair invalid geometries with MakeValid"
        )
        parser.add_argument("--user", help="username recorded as the importer")
        parser.add_argument("--report", help="write the row report to this CSV file")

    def handle(self, *args, **opts):
        mapping = None
        if opts["mapping"]:
            try:
                mapping = json.loads(Path(opts["mapping"]).read_text(encoding="utf-8"))
                if not isinstance(mapping, dict):
                    raise ValueError
            except (OSError, ValueError) as exc:
                raise CommandError(
                    f"The mapping file {opts['mapping']} is not a JSON object of field to column."
                ) from exc
        if opts["mode"] == "replace" and not opts["subdistrict"]:
            raise CommandError(
                "--mode replace needs --subdistrict CODE (the subdistrict to replace)."
            )
        user = None
        if opts["user"]:
            user = get_user_model().objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"There is no user {opts['user']}.")
        path = Path(opts["file"])
        offset = "gcj02" if opts["from_gcj02"] else "bd09" if opts["from_bd09"] else None
        bar = tqdm(
            total=len(STEPS), desc=path.name[:30], unit="step", disable=opts["verbosity"] == 0
        )

        def progress(step, *_):
            bar.set_postfix_str(step)
            bar.update(1)

        try:
            outcome = import_file(
                layer_slug=opts["layer"],
                path=path,
                by=user,
                encoding=opts["encoding"],
                crs=opts["crs"],
                offset=offset,
                mapping=mapping,
                mode=opts["mode"],
                subdistrict=opts["subdistrict"],
                repair=opts["repair_invalid"],
                dry_run=opts["dry_run"],
                progress=progress,
            )
        except USER_ERRORS as exc:
            bar.close()
            raise CommandError(str(exc)) from exc
        bar.update(bar.total - bar.n)
        bar.close()
        record = outcome.record
        if opts["report"]:
            with open(opts["report"], "w", newline="", encoding="utf-8-sig") as fh:
                writer = csv.DictWriter(
                    fh, fieldnames=["row", "field", "value", "problem", "severity"]
                )
                writer.writeheader()
                writer.writerows(record.report)
        for problem in record.report[:20]:
            self.stderr.write(
                f"row {problem['row']} {problem['field']} {problem['value']!r}: "
                f"{problem['problem']} ({problem['severity']})"
            )
        if len(record.report) > 20:
            self.stderr.write(f"... {len(record.report) - 20} more in the report (--report FILE).")
        for warning in record.warnings:
            self.stderr.write(f"warning: {warning}")
        if record.status == ImportRecord.Status.REJECTED:
            raise CommandError(record.message)
        self.stdout.write(
            f"{record.message or 'Imported'} import:{record.pk} {record.layer}: "
            f"{record.created} created, {record.updated} updated, {record.unchanged} unchanged, "
            f"{record.deleted} deleted, {record.rejected} rejected "
            f"(encoding {record.encoding or '-'}, {record.crs})."
        )
