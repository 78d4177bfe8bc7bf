"""``manage.py import_layer LAYER FILE``: import a GIS file into a layer, all or nothing.

Examples::

    manage.py import_layer toilets 公厕.zip --dry-run
    manage.py import_layer toilets points.shp --crs 4549 --mode upsert
    manage.py import_layer parking-facilities amap.csv --from-gcj02 --mapping map.json
    manage.py import_layer street-lights lights.shp --set lamp_type=LED --set power_w=100
    manage.py import_layer toilets survey.gpkg --list-layers
    manage.py import_layer toilets survey.gpkg --source-layer 公厕 --dry-run

A mapping file maps each model field to a column (``"name": "名称"``), to a column with a
default for its empty cells (``{"column": "功率", "default": 100}``) or to one value for
the whole file (``{"constant": "LED"}``). Fields left out keep their stored values and are
unknown on new records; rows without a code get a generated one (``GC-JP-0042``).

On any problem the exit status is 1 and one sentence says what to do; the row report is
printed (first rows) and can be written as CSV with ``--report``. Every sentence is
translatable: the command speaks the settings' language (Chinese) unless told otherwise.
"""

import csv
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from geo_cm.imports.models import ImportRecord
from geo_cm.imports.report_csv import REPORT_COLUMNS, report_csv_rows
from geo_cm.imports.services import USER_ERRORS, import_file, import_layers
from geo_cm.imports.validate import ERROR, INFO, WARNING

# Rows of the report printed on the terminal; --report writes them all.
PRINTED_ROWS = 20


class Command(BaseCommand):
    @property
    def help(self):
        # A property: argparse needs a real string, in the language active when it is asked.
        return _(
            "Import a shapefile (.shp or .zip), GeoPackage, GeoJSON, KML, CSV or XLSX into a layer."
        )

    def add_arguments(self, parser):
        parser.add_argument("layer", help=_("layer slug, e.g. toilets"))
        parser.add_argument("file", help=_("the file to import"))
        parser.add_argument(
            "--encoding", help=_("text encoding when there is no .cpg (UTF-8, GBK, GB18030)")
        )
        parser.add_argument(
            "--crs", help=_("coordinate system when the file has none, e.g. 4490, 4549")
        )
        offset = parser.add_mutually_exclusive_group()
        offset.add_argument(
            "--from-gcj02", action="store_true", help=_("coordinates are Amap/Tencent GCJ-02")
        )
        offset.add_argument(
            "--from-bd09", action="store_true", help=_("coordinates are Baidu BD-09")
        )
        parser.add_argument(
            "--mapping",
            help=_(
                'JSON file {"model field": "source column" or {"column": ..., "default": ...} '
                'or {"constant": ...}}'
            ),
        )
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help=_("give FIELD the value VALUE on every row (repeatable), e.g. lamp_type=LED"),
        )
        parser.add_argument(
            "--source-layer",
            help=_("the layer to read from a GeoPackage or KML file (* for every KML layer)"),
        )
        parser.add_argument(
            "--list-layers",
            action="store_true",
            help=_("list the layers of a GeoPackage or KML file and stop"),
        )
        parser.add_argument(
            "--centroids",
            action="store_true",
            help=_("into a point layer, import a point inside each line or polygon"),
        )
        parser.add_argument(
            "--dry-run", action="store_true", help=_("validate only; write nothing")
        )
        parser.add_argument(
            "--mode",
            choices=("create", "upsert", "replace"),
            default="upsert",
            help=_(
                "create: only new codes; upsert: update and add; replace: also delete the "
                "subdistrict's records missing from the file"
            ),
        )
        parser.add_argument(
            "--subdistrict", help=_("subdistrict code whose records --mode replace replaces")
        )
        parser.add_argument(
            "--repair-invalid",
            action="store_true",
            help=_("repair invalid geometries with MakeValid"),
        )
        parser.add_argument("--user", help=_("username recorded as the importer"))
        parser.add_argument("--report", help=_("write the row report to this CSV file"))

    def handle(self, *args, **opts):
        mapping = None
        if opts["mapping"]:
            try:
                mapping = json.loads(Path(opts["mapping"]).read_text(encoding="utf-8"))
                if not isinstance(mapping, dict):
                    raise ValueError
            except (OSError, ValueError) as exc:
                raise CommandError(
                    _("The mapping file %(file)s is not a JSON object of field to column.")
                    % {"file": opts["mapping"]}
                ) from exc
        constants = {}
        for item in opts["set"]:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise CommandError(
                    _("--set takes FIELD=VALUE, e.g. --set lamp_type=LED (got %(item)s).")
                    % {"item": item}
                )
            constants[name.strip()] = value
        path = Path(opts["file"])
        if opts["list_layers"]:
            self._list_layers(path)
            return
        if opts["mode"] == "replace" and not opts["subdistrict"]:
            raise CommandError(
                _("--mode replace needs --subdistrict CODE (the subdistrict to replace).")
            )
        user = None
        if opts["user"]:
            user = get_user_model().objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(_("There is no user %(name)s.") % {"name": opts["user"]})
        offset = "gcj02" if opts["from_gcj02"] else "bd09" if opts["from_bd09"] else None
        bar = tqdm(desc=path.name[:30], unit=_("rows"), disable=opts["verbosity"] == 0)

        def progress(step, done=0, total=0):
            if total and bar.total != total:
                bar.total = total
            bar.n = done
            bar.refresh()

        try:
            outcome = import_file(
                layer_slug=opts["layer"],
                path=path,
                by=user,
                source_layer=opts["source_layer"],
                centroids=opts["centroids"],
                encoding=opts["encoding"],
                crs=opts["crs"],
                offset=offset,
                mapping=mapping,
                constants=constants,
                mode=opts["mode"],
                subdistrict=opts["subdistrict"],
                repair=opts["repair_invalid"],
                dry_run=opts["dry_run"],
                progress=progress,
            )
        except USER_ERRORS as exc:
            bar.close()
            raise CommandError(str(exc)) from exc
        bar.close()
        record = outcome.record
        if opts["report"]:
            with open(opts["report"], "w", newline="", encoding="utf-8-sig") as fh:
                writer = csv.writer(fh)
                writer.writerow(REPORT_COLUMNS)
                writer.writerows(report_csv_rows(record.report))
        severities = {ERROR: _("error"), WARNING: _("warning"), INFO: _("note")}
        problems = [p for p in record.report if p["severity"] != INFO]
        notes = [p for p in record.report if p["severity"] == INFO]
        for problem in (problems + notes)[:PRINTED_ROWS]:
            self.stderr.write(
                _("row %(row)s %(field)s %(value)s: %(problem)s (%(severity)s)")
                % {
                    "row": problem["row"],
                    "field": problem["field"],
                    "value": repr(problem["value"]),
                    "problem": problem["problem"],
                    "severity": severities.get(problem["severity"], problem["severity"]),
                }
            )
        if notes:
            self.stderr.write(
                _("%(n)d rows without a code: their codes are in the report (--report FILE).")
                % {"n": len(notes)}
            )
        if len(record.report) > PRINTED_ROWS:
            self.stderr.write(
                _("... %(n)d more in the report (--report FILE).")
                % {"n": len(record.report) - PRINTED_ROWS}
            )
        for warning in record.warnings:
            self.stderr.write(_("warning: %(text)s") % {"text": warning})
        if record.status == ImportRecord.Status.REJECTED:
            raise CommandError(record.message)
        if record.status == ImportRecord.Status.VALIDATED:
            self.stdout.write(f"{record.message} import:{record.pk}")
            return
        self.stdout.write(
            _(
                "%(message)s import:%(id)s %(layer)s: %(created)d created, %(updated)d "
                "updated, %(unchanged)d unchanged, %(deleted)d deleted, %(rejected)d "
                "rejected (encoding %(encoding)s, %(crs)s)."
            )
            % {
                "message": record.message or _("Imported"),
                "id": record.pk,
                "layer": record.layer,
                "created": record.created,
                "updated": record.updated,
                "unchanged": record.unchanged,
                "deleted": record.deleted,
                "rejected": record.rejected,
                "encoding": record.encoding or "-",
                "crs": record.crs,
            }
        )

    def _list_layers(self, path: Path) -> None:
        try:
            layers = import_layers(path=path)
        except USER_ERRORS as exc:
            raise CommandError(str(exc)) from exc
        if not layers:
            self.stdout.write(_("%(name)s holds one layer.") % {"name": path.name})
            return
        for layer in layers:
            self.stdout.write(layer.label())
