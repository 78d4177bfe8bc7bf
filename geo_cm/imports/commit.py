"""Writing a validated import in one transaction, in bulk.

The clean rows are COPYed into a temporary staging table; set-based SQL then deletes
(replace mode), updates the rows whose values changed, inserts the new codes, derives the
subdistricts (``assets_assign_subdistrict``) and writes the history (ChangeRecords) with
INSERT ... SELECT. There is no per-row ORM save. A row whose values all equal the stored
ones (geometry within 1e-9 degrees, ~0.1 mm) is left alone, so importing the same file
twice leaves the assets unchanged. Any database error rolls everything back.
"""

import io
import json

import pandas as pd
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ForeignKey
from django.utils import timezone
from django.utils.translation import gettext as _

from geo_cm.coverage.tasks import coverage_refresh_enqueue
from geo_cm.models import ChangeRecord, Subdistrict
from geo_cm.services import assets_assign_subdistrict

from .models import ImportRecord
from .validate import Validated, importable_fields

STAGE = "geocm_import_stage"
OLD = "geocm_import_old"
# Geometries closer than this (degrees, Hausdorff) count as equal: survives text formats.
GEOM_TOLERANCE_DEG = 1e-9


class CommitError(Exception):
    """The import was not written (nothing was): the message says why, for the user."""


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _json_expr(alias: str, f) -> str:
    """SQL turning column ``f`` of ``alias`` into the JSON a ChangeRecord keeps."""
    col = f"{alias}.{_q(f.column)}"
    if isinstance(f, ForeignKey):
        rel = f.related_model._meta
        return f"to_jsonb((SELECT r.code FROM {_q(rel.db_table)} r WHERE r.id = {col}))"
    if f.get_internal_type() == "DecimalField":
        return f"to_jsonb({col}::text)"
    return f"to_jsonb({col})"


def _copy_stage(cursor, validated: Validated, fields: list, geom_col: str) -> None:
    cols = ", ".join(f"{_q(f.column)} {f.db_type(connection)}" for f in fields)
    # ON COMMIT DROP does not fire inside an outer transaction (tests, a caller's atomic).
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}, {OLD}")
    cursor.execute(
        f"CREATE TEMP TABLE {STAGE} (rn integer, {cols}, {_q(geom_col)} geometry) ON COMMIT DROP"
    )
    columns = {"rn": pd.Series(validated.rows)}
    for f in fields:
        values = validated.values[f.name].to_numpy(dtype=object)
        if f.get_internal_type() == "BooleanField":
            values = [None if v is None else ("t" if v else "f") for v in values]
        # Object dtype throughout: an integer column with gaps must not become 151.0.
        columns[f.column] = pd.Series(values, dtype=object)
    columns["geom"] = pd.Series(validated.ewkb, dtype=object)
    frame = pd.DataFrame(columns)
    buffer = io.StringIO()
    # Every value quoted and \N for NULL (FORCE_NULL): an empty string stays an empty string.
    frame.to_csv(buffer, index=False, header=False, na_rep="\\N", quoting=1)
    buffer.seek(0)
    names = ", ".join(["rn", *(_q(f.column) for f in fields), _q(geom_col)])
    cursor.copy_expert(
        f"COPY {STAGE} ({names}) FROM STDIN WITH (FORMAT csv, NULL '\\N', FORCE_NULL ({names}))",
        buffer,
    )
    cursor.execute(f"CREATE UNIQUE INDEX ON {STAGE} ({_q('code')})")
    cursor.execute(f"ANALYZE {STAGE}")


def import_commit(
    *,
    validated: Validated,
    record: ImportRecord,
    by=None,
    mode: str = "upsert",
    subdistrict: str | None = None,
    progress=None,
) -> ImportRecord:
    """Write ``validated`` into its layer's table in one transaction and fill ``record``.

    mode create: every code must be new; upsert: update changed rows, insert new codes;
    replace: as upsert, and delete the layer's records in ``subdistrict`` (current or former
    code) that the file does not hold. Records get source ``import:<record id>``.
    Raises CommitError (nothing written) when the file had row errors or the database
    refused a row.
    """
    if not validated.ok:
        raise CommitError(
            _(
                "%(n)d rows have errors; nothing was written. Fix them (see the report) and import again."
            )
            % {"n": validated.error_rows}
        )
    layer = validated.layer
    model = layer.model
    table = _q(model._meta.db_table)
    geom_field = model._meta.get_field(layer.geometry_field)
    geom_col = geom_field.column
    mapped = [f for f in importable_fields(layer) if f.name in validated.mapping]
    defaults = [
        f
        for f in importable_fields(layer)
        if f.name not in validated.mapping
        and (f.get_default() is not None or f.name == layer.status_field)
    ]
    content_type = ContentType.objects.get_for_model(model).id
    user_id = by.pk if getattr(by, "pk", None) else None
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # Imports into one layer run one at a time; readers are not blocked.
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            source = record.source_label
            _copy_stage(cursor, validated, mapped, geom_col)
            if progress:
                progress("staged")
            all_fields = [*mapped, *defaults]
            history_fields = [f for f in importable_fields(layer)]

            deleted = 0
            if mode == "replace":
                area = (
                    Subdistrict.objects.filter(code=subdistrict).first()
                    or Subdistrict.objects.filter(code_old=subdistrict).first()
                )
                if area is None:
                    raise CommitError(
                        _("There is no subdistrict with the code %(c)s.") % {"c": subdistrict}
                    )
                last = ", ".join(
                    f"'{f.name}', jsonb_build_array({_json_expr('t', f)}, NULL)"
                    for f in history_fields[:45]
                )
                cursor.execute(
                    f"""INSERT INTO {_q(ChangeRecord._meta.db_table)}
                        (content_type_id, object_id, object_code, action, changes, user_id, note,
                         source, asset_version, at)
                        SELECT %s, t.id, t.code, 'delete', jsonb_build_object({last}), %s, %s, %s,
                               t.version, now()
                        FROM {table} t WHERE t.subdistrict_id = %s
                          AND NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.code = t.code)""",
                    [content_type, user_id, _("replaced by an import"), source, area.pk],
                )
                cursor.execute(
                    f"""DELETE FROM {table} t WHERE t.subdistrict_id = %s
                        AND NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.code = t.code)""",
                    [area.pk],
                )
                deleted = cursor.rowcount

            # The stored values of the rows the file names, kept for the history's "old".
            old_cols = ", ".join(
                ["t.id", "t.version", *(f"t.{_q(f.column)}" for f in mapped), f"t.{_q(geom_col)}"]
            )
            cursor.execute(
                f"CREATE TEMP TABLE {OLD} ON COMMIT DROP AS "
                f"SELECT {old_cols} FROM {table} t JOIN {STAGE} s ON s.code = t.code"
            )
            g_t, g_s = f"t.{_q(geom_col)}", f"s.{_q(geom_col)}"
            geom_same = (
                f"(ST_AsEWKB({g_t}) = ST_AsEWKB({g_s}) OR (GeometryType({g_t}) = GeometryType({g_s}) "
                f"AND ST_NPoints({g_t}) = ST_NPoints({g_s}) "
                f"AND ST_HausdorffDistance({g_t}, {g_s}) < {GEOM_TOLERANCE_DEG}))"
            )
            differs = " OR ".join(
                [
                    f"t.{_q(f.column)} IS DISTINCT FROM s.{_q(f.column)}"
                    for f in mapped
                    if f.name != "code"
                ]
                + [f"NOT {geom_same}"]
            )
            sets = ", ".join(
                [f"{_q(f.column)} = s.{_q(f.column)}" for f in mapped if f.name != "code"]
                + [f"{_q(geom_col)} = s.{_q(geom_col)}"]
            )
            updated_ids = []
            if mode != "create":
                cursor.execute(
                    f"""UPDATE {table} t SET {sets}, version = t.version + 1, updated_at = now(),
                            source = %s
                        FROM {STAGE} s WHERE s.code = t.code AND ({differs}) RETURNING t.id""",
                    [source],
                )
                updated_ids = [r[0] for r in cursor.fetchall()]
            if progress:
                progress("updated")

            insert_cols = [_q(f.column) for f in all_fields] + [_q(geom_col)]
            select = (
                [f"s.{_q(f.column)}" for f in mapped]
                + ["%s"] * len(defaults)
                + [f"s.{_q(geom_col)}"]
            )
            default_values = [
                layer.status_machine.initial
                if f.name == layer.status_field and layer.status_machine is not None
                else f.get_default()
                for f in defaults
            ]
            cursor.execute(
                f"""INSERT INTO {table} ({", ".join(insert_cols)}, source, created_at, updated_at, version)
                    SELECT {", ".join(select)}, %s, now(), now(), 1 FROM {STAGE} s
                    WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.code = s.code)
                    ORDER BY s.rn RETURNING id""",
                [*default_values, source],
            )
            created_ids = [r[0] for r in cursor.fetchall()]
            if progress:
                progress("inserted")

            changed_ids = created_ids + updated_ids
            if changed_ids:
                assets_assign_subdistrict(model=model, pks=changed_ids)
            if progress:
                progress("subdistricts")

            # History in bulk: a "create" with every field, an "update" with what changed.
            new_json = ", ".join(
                [
                    f"'{f.name}', jsonb_build_array(NULL, {_json_expr('t', f)})"
                    for f in history_fields[:45]
                ]
                + [
                    f"'{geom_field.name}', jsonb_build_array(NULL, ST_AsGeoJSON(t.{_q(geom_col)})::jsonb)"
                ]
            )
            if created_ids:
                cursor.execute(
                    f"""INSERT INTO {_q(ChangeRecord._meta.db_table)}
                        (content_type_id, object_id, object_code, action, changes, user_id, note,
                         source, asset_version, at)
                        SELECT %s, t.id, t.code, 'create', jsonb_build_object({new_json}), %s, '', %s,
                               t.version, now()
                        FROM {table} t WHERE t.id = ANY(%s)""",
                    [content_type, user_id, source, created_ids],
                )
            if updated_ids:
                diff = ", ".join(
                    [
                        f"'{f.name}', CASE WHEN o.{_q(f.column)} IS DISTINCT FROM t.{_q(f.column)} "
                        f"THEN jsonb_build_array({_json_expr('o', f)}, {_json_expr('t', f)}) END"
                        for f in mapped
                        if f.name != "code"
                    ][:45]
                    + [
                        f"'{geom_field.name}', CASE WHEN NOT ST_OrderingEquals(o.{_q(geom_col)}, t.{_q(geom_col)}) "
                        f"THEN jsonb_build_array(ST_AsGeoJSON(o.{_q(geom_col)})::jsonb, "
                        f"ST_AsGeoJSON(t.{_q(geom_col)})::jsonb) END"
                    ]
                )
                cursor.execute(
                    f"""INSERT INTO {_q(ChangeRecord._meta.db_table)}
                        (content_type_id, object_id, object_code, action, changes, user_id, note,
                         source, asset_version, at)
                        SELECT %s, t.id, t.code, 'update', jsonb_strip_nulls(jsonb_build_object({diff})),
                               %s, '', %s, t.version, now()
                        FROM {table} t JOIN {OLD} o ON o.id = t.id WHERE t.id = ANY(%s)""",
                    [content_type, user_id, source, updated_ids],
                )
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}, {OLD}")
            if changed_ids or deleted:
                coverage_refresh_enqueue(model=model)
            record.created = len(created_ids)
            record.updated = len(updated_ids)
            record.unchanged = len(validated.rows) - len(created_ids) - len(updated_ids)
            record.deleted = deleted
            record.status = ImportRecord.Status.COMMITTED
            record.finished_at = timezone.now()
            record.save()
    except IntegrityError as exc:
        raise CommitError(_db_sentence(exc)) from exc
    except DatabaseError as exc:
        raise CommitError(
            _("The database refused the import, so nothing was written: %(reason)s")
            % {"reason": str(exc).splitlines()[0][:300]}
        ) from exc
    return record


def _db_sentence(exc: IntegrityError) -> str:
    text = str(exc)
    if "violates foreign key constraint" in text:
        return _(
            "Some records to be replaced are still referred to by other records (for example "
            "berths of a car park), so nothing was written."
        )
    if "check constraint" in text:
        quoted = text.split('"')
        name = quoted[-2] if len(quoted) >= 3 else ""
        return _("A row breaks the rule %(rule)s, so nothing was written.") % {"rule": name}
    if "duplicate key" in text:
        return _(
            "A code in the file already exists in the layer (mode create), so nothing was written."
        )
    return _("The database refused the import, so nothing was written: %(reason)s") % {
        "reason": text.splitlines()[0][:300]
    }


def record_dump(record: ImportRecord) -> str:
    """The record as JSON text (CLI --json output)."""
    return json.dumps(
        {
            "id": record.pk,
            "status": record.status,
            "created": record.created,
            "updated": record.updated,
            "unchanged": record.unchanged,
            "deleted": record.deleted,
            "rejected": record.rejected,
        }
    )
