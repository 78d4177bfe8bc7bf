"""Writing a validated import in one transaction, in bulk.

The clean rows are COPYed into a temporary staging table; set-based SQL then deletes
(replace mode), updates the rows whose values changed and inserts the new codes. Each of
those statements derives the subdistrict of the rows it writes (the rule of
``geo_cm.services.assets_assign_subdistrict``: the subdistrict holding ST_PointOnSurface
of the geometry, the lowest id on a shared border) and writes their history
(ChangeRecords) in the same statement, through a data-modifying CTE. There is no per-row
ORM save and no list of ids travels back to Python. A row whose values all equal the
stored ones (geometry within 1e-9 degrees, ~0.1 mm) is left alone, so importing the same
file twice leaves the assets unchanged. Any database error rolls everything back.

History: an "update" keeps [old, new] of each changed field; a "create" keeps [null, new]
of the fields the file gave (the mapped ones) and the geometry; fields the file did not
map took the model's defaults and are not repeated on every record; a "delete" (replace
mode) keeps [old, null] of every field.
"""

import io
import json

import numpy as np
import pandas as pd
import psycopg2
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ForeignKey
from django.utils import timezone
from django.utils.translation import gettext as _

from geo_cm.coverage.tasks import coverage_refresh_enqueue
from geo_cm.models import ChangeRecord, Subdistrict

from .models import ImportRecord
from .readers import control_escape
from .validate import DERIVED, Validated, importable_fields

STAGE = "geocm_import_stage"
OLD = "geocm_import_old"
# Geometries closer than this (degrees, Hausdorff) count as equal: survives text formats.
GEOM_TOLERANCE_DEG = 1e-9
# jsonb_build_object takes at most 100 arguments: build objects in chunks of this many
# pairs and join them with ||.
_PAIRS_PER_CALL = 45


class CommitError(Exception):
    """The import was not written (nothing was): the message says why, for the user."""


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _value_sql(alias: str, f) -> str:
    """SQL for the value of field ``f`` of ``alias`` as a ChangeRecord keeps it."""
    col = f"{alias}.{_q(f.column)}"
    if isinstance(f, ForeignKey):
        rel = f.related_model._meta
        return f"(SELECT r.code FROM {_q(rel.db_table)} r WHERE r.id = {col})"
    if f.get_internal_type() == "DecimalField":
        return f"{col}::text"
    return col


def _jsonb_object(pairs: list[tuple[str, str]]) -> str:
    """jsonb_build_object over (key, jsonb SQL) pairs, in chunks (the 100-argument limit)."""
    calls = []
    for start in range(0, len(pairs), _PAIRS_PER_CALL):
        chunk = pairs[start : start + _PAIRS_PER_CALL]
        calls.append("jsonb_build_object(" + ", ".join(f"'{k}', {v}" for k, v in chunk) + ")")
    return " || ".join(calls) or "'{}'::jsonb"


def _created_json(alias: str, fields: list, geom_field) -> str:
    """The "create" changes, {field: [null, new]}, as JSON text cast once to jsonb.

    Concatenated text parsed once is about twice as fast as jsonb_build_object over many
    fields, which is what an import of 100,000 rows spends its history time on.
    """
    geom = f"ST_AsGeoJSON({alias}.{_q(geom_field.column)})"
    parts = [f"'{{{json.dumps(geom_field.name)}:[null,' || {geom} || ']'"]
    for f in fields:
        value = f"coalesce(to_json({_value_sql(alias, f)})::text, 'null')"
        parts.append(f"',{json.dumps(f.name)}:[null,' || {value} || ']'")
    return "(" + " || ".join(parts) + " || '}')::jsonb"


def _subdistrict_sql(geom: str) -> str:
    """The subdistrict of ``geom`` by the rule of assets_assign_subdistrict (one SQL value)."""
    return (
        f"(SELECT min(d.id) FROM {_q(Subdistrict._meta.db_table)} d "
        f"WHERE ST_Intersects(d.geom, ST_PointOnSurface({geom})))"
    )


# COPY text format: backslash, tab, newline and carriage return are escaped in values.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _stage_column(values: np.ndarray, internal_type: str) -> list[str]:
    """Values -> COPY text-format cells: \\N for NULL, escapes in text."""
    missing = pd.isna(values)
    if internal_type == "BooleanField":
        cells = ["t" if v else "f" for v in values[~missing]]
    else:
        # str() of Python ints, Decimals and dates: an integer column with gaps stays 151.
        cells = [str(v) for v in values[~missing]]
        joined = "".join(cells)
        if any(ch in joined for ch in "\\\t\n\r"):
            cells = [c.translate(_COPY_ESCAPES) for c in cells]
    if not missing.any():
        return cells
    out = np.full(len(values), "\\N", dtype=object)
    out[~missing] = cells
    return out.tolist()


def _copy_stage(cursor, validated: Validated, fields: list, geom_col: str) -> None:
    cols = ", ".join(f"{_q(f.column)} {f.db_type(connection)}" for f in fields)
    # ON COMMIT DROP does not fire inside an outer transaction (tests, a caller's atomic).
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}, {OLD}")
    cursor.execute(
        f"CREATE TEMP TABLE {STAGE} (rn integer, {cols}, {_q(geom_col)} geometry(Geometry, 4326)) "
        "ON COMMIT DROP"
    )
    columns = [[str(n) for n in np.asarray(validated.rows).tolist()]]
    for f in fields:
        values = validated.values[f.name].to_numpy(dtype=object)
        columns.append(_stage_column(values, f.get_internal_type()))
    columns.append(list(validated.wkb))  # hex needs no escaping; the column gives the SRID
    buffer = io.StringIO("".join("\t".join(row) + "\n" for row in zip(*columns, strict=True)))
    names = ", ".join(["rn", *(_q(f.column) for f in fields), _q(geom_col)])
    cursor.copy_expert(f"COPY {STAGE} ({names}) FROM STDIN", buffer)
    # Statistics for the joins on code (validation made the codes unique); the geometry
    # column's are not needed.
    cursor.execute(f"ANALYZE {STAGE} (rn, {_q('code')})")


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
                "%(n)d rows have errors; nothing was written. "
                "Fix them (see the report) and import again."
            )
            % {"n": validated.error_rows}
        )
    layer = validated.layer
    model = layer.model
    table = _q(model._meta.db_table)
    history = _q(ChangeRecord._meta.db_table)
    geom_field = model._meta.get_field(layer.geometry_field)
    geom_col = _q(geom_field.column)
    mapped = [f for f in importable_fields(layer) if f.name in validated.mapping]
    # New records get the default of every field the file does not set, the fields no file
    # may set (work-order bookkeeping, flags) included; the server's own are derived below.
    defaults = [
        f
        for f in model._meta.concrete_fields
        if f.name not in validated.mapping
        and not f.primary_key
        and f.name not in DERIVED
        and not getattr(f, "generated", False)
        and f is not geom_field
        and (f.get_default() is not None or f.name == layer.status_field)
    ]
    content_type = ContentType.objects.get_for_model(model).id
    user_id = by.pk if getattr(by, "pk", None) else None
    tick = progress or (lambda *_a: None)
    history_columns = (
        f"INSERT INTO {history} (content_type_id, object_id, object_code, action, changes, "
        "user_id, note, source, asset_version, at)"
    )
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # PostGIS functions are costed so high that the planner would JIT-compile these
            # one-off statements: 0.1-0.2 s each, for nothing. SET LOCAL ends with the
            # transaction (or the savepoint, when a caller's transaction encloses ours).
            cursor.execute("SET LOCAL jit = off")
            # Sorting 100,000 staged rows by file order spills to disk with the default 4 MB.
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # Imports into one layer run one at a time; readers are not blocked.
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            source = record.source_label
            _copy_stage(cursor, validated, mapped, geom_col)
            tick("staged")

            deleted = 0
            if mode == "replace":
                deleted = _delete_missing(
                    cursor,
                    table=table,
                    history_columns=history_columns,
                    layer=layer,
                    subdistrict=subdistrict,
                    params=[content_type, user_id, _("replaced by an import"), source],
                )

            updated = 0
            if mode != "create":
                _check_status_changes(cursor, table=table, layer=layer, mapped=mapped)
                updated = _update_changed(
                    cursor,
                    table=table,
                    history_columns=history_columns,
                    mapped=mapped,
                    geom_field=geom_field,
                    params=[source, content_type, user_id, source],
                )
            tick("updated")

            # Create mode inserts every row: a code created since validation (which looked
            # before the lock) breaks the unique constraint and nothing is written, instead
            # of the row being skipped as "unchanged".
            new_codes_only = (
                ""
                if mode == "create"
                else f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.code = s.code)"
            )
            insert_cols = [_q(f.column) for f in [*mapped, *defaults]]
            select = [f"s.{_q(f.column)}" for f in mapped] + ["%s"] * len(defaults)
            default_values = [
                layer.status_machine.initial
                if f.name == layer.status_field and layer.status_machine is not None
                else f.get_default()
                for f in defaults
            ]
            # What the history needs; mapped holds "code" (mapping_check requires it).
            returned = ", ".join(["id", "version", *(_q(f.column) for f in mapped), geom_col])
            cursor.execute(
                f"""WITH created AS (
                        INSERT INTO {table} ({", ".join(insert_cols)}, {geom_col},
                            subdistrict_id, source, created_at, updated_at, version)
                        SELECT {", ".join(select)}, s.{geom_col},
                            {_subdistrict_sql(f"s.{geom_col}")}, %s, now(), now(), 1
                        FROM {STAGE} s
                        {new_codes_only}
                        ORDER BY s.rn
                        RETURNING {returned})
                    {history_columns}
                    SELECT %s, c.id, c.code, 'create', {_created_json("c", mapped, geom_field)},
                        %s, '', %s, c.version, now()
                    FROM created c""",
                [*default_values, source, content_type, user_id, source],
            )
            created = cursor.rowcount
            tick("inserted")
            # The subdistricts were derived by the statements above.
            tick("subdistricts")

            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}, {OLD}")
            cursor.execute("SET LOCAL jit TO DEFAULT")
            cursor.execute("SET LOCAL work_mem TO DEFAULT")
            if created or updated or deleted:
                coverage_refresh_enqueue(model=model)
            record.created = created
            record.updated = updated
            record.unchanged = len(validated.rows) - created - updated
            record.deleted = deleted
            record.status = ImportRecord.Status.COMMITTED
            record.finished_at = timezone.now()
            record.save()
    except (IntegrityError, psycopg2.IntegrityError) as exc:
        raise CommitError(_db_sentence(exc)) from exc
    # copy_expert is psycopg2's own: Django does not turn its errors into DatabaseError.
    except (DatabaseError, psycopg2.Error) as exc:
        raise CommitError(
            _("The database refused the import, so nothing was written: %(reason)s")
            % {"reason": _first_line(exc)}
        ) from exc
    return record


def _delete_missing(cursor, *, table, history_columns, layer, subdistrict, params) -> int:
    """Replace mode: delete the subdistrict's records the file does not hold, with history."""
    area = (
        Subdistrict.objects.filter(code=subdistrict).first()
        or Subdistrict.objects.filter(code_old=subdistrict).first()
    )
    if area is None:
        raise CommitError(_("There is no subdistrict with the code %(c)s.") % {"c": subdistrict})
    model = layer.model
    fields = [*importable_fields(layer), model._meta.get_field(layer.geometry_field)]
    last = _jsonb_object(
        [
            (
                f.name,
                f"jsonb_build_array(ST_AsGeoJSON(d.{_q(f.column)})::jsonb, NULL)"
                if f.name == layer.geometry_field
                else f"jsonb_build_array(to_jsonb({_value_sql('d', f)}), NULL)",
            )
            for f in fields
        ]
    )
    cursor.execute(
        f"""WITH gone AS (
                DELETE FROM {table} t WHERE t.subdistrict_id = %s
                AND NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.code = t.code)
                RETURNING t.*)
            {history_columns}
            SELECT %s, d.id, d.code, 'delete', {last}, %s, %s, %s, d.version, now()
            FROM gone d""",
        [area.pk, *params],
    )
    return cursor.rowcount


def _update_changed(cursor, *, table, history_columns, mapped, geom_field, params) -> int:
    """Upsert: update the rows whose values differ from the file's, with their history."""
    geom_col = _q(geom_field.column)
    g_t, g_s = f"t.{geom_col}", f"s.{geom_col}"
    geom_same = (
        f"(ST_AsEWKB({g_t}) = ST_AsEWKB({g_s}) "
        f"OR (GeometryType({g_t}) = GeometryType({g_s}) "
        f"AND ST_NPoints({g_t}) = ST_NPoints({g_s}) "
        f"AND ST_HausdorffDistance({g_t}, {g_s}) < {GEOM_TOLERANCE_DEG}))"
    )
    compared = [f for f in mapped if f.name != "code"]
    differs = " OR ".join(
        [f"t.{_q(f.column)} IS DISTINCT FROM s.{_q(f.column)}" for f in compared]
        + [f"NOT {geom_same}"]
    )
    # The stored values of the rows that will change, kept for the history's "old".
    old_cols = ", ".join(["t.id", *(f"t.{_q(f.column)}" for f in compared), g_t])
    cursor.execute(
        f"CREATE TEMP TABLE {OLD} ON COMMIT DROP AS "
        f"SELECT {old_cols} FROM {table} t JOIN {STAGE} s ON s.code = t.code WHERE {differs}"
    )
    if not cursor.rowcount:
        return 0
    sets = ", ".join(
        [f"{_q(f.column)} = s.{_q(f.column)}" for f in compared]
        + [f"{geom_col} = {g_s}", f"subdistrict_id = {_subdistrict_sql(g_s)}"]
    )
    diff = _jsonb_object(
        [
            (
                f.name,
                f"CASE WHEN o.{_q(f.column)} IS DISTINCT FROM u.{_q(f.column)} "
                f"THEN jsonb_build_array(to_jsonb({_value_sql('o', f)}), "
                f"to_jsonb({_value_sql('u', f)})) END",
            )
            for f in compared
        ]
        + [
            (
                geom_field.name,
                f"CASE WHEN NOT ST_OrderingEquals(o.{geom_col}, u.{geom_col}) "
                f"THEN jsonb_build_array(ST_AsGeoJSON(o.{geom_col})::jsonb, "
                f"ST_AsGeoJSON(u.{geom_col})::jsonb) END",
            )
        ]
    )
    cursor.execute(
        f"""WITH changed AS (
                UPDATE {table} t SET {sets}, version = t.version + 1, updated_at = now(),
                    source = %s
                FROM {OLD} o, {STAGE} s
                WHERE o.id = t.id AND s.code = t.code
                RETURNING t.*)
            {history_columns}
            SELECT %s, u.id, u.code, 'update', jsonb_strip_nulls({diff}), %s, '', %s,
                u.version, now()
            FROM changed u JOIN {OLD} o ON o.id = u.id""",
        params,
    )
    return cursor.rowcount


def _check_status_changes(cursor, *, table, layer, mapped) -> None:
    """Upsert/replace: the status changes the file makes, checked again under the lock.

    Validation judged each change from the status stored before the lock was taken; a record
    changed or created since then (another import, an edit) is judged here from what is
    stored now, so the state machine is never bypassed. Only rows whose status differs are
    fetched (none when the file repeats the stored statuses).
    """
    machine = layer.status_machine
    field = layer.model._meta.get_field(layer.status_field)
    if machine is None or field not in mapped:
        return
    col = _q(field.column)
    cursor.execute(
        f"SELECT s.code, t.{col}, s.{col} FROM {table} t JOIN {STAGE} s ON s.code = t.code "  # noqa: S608
        f"WHERE s.{col} IS NOT NULL AND s.{col} IS DISTINCT FROM t.{col} ORDER BY s.rn"
    )
    for code, stored, given in cursor.fetchall():
        if given not in machine.allowed(stored):
            raise CommitError(
                _(
                    "The status of %(code)s is now %(stored)s (changed since the file was "
                    "checked), and the state machine does not allow %(stored)s to %(given)s; "
                    "nothing was written. Check the file again."
                )
                % {"code": code, "stored": machine.label(stored), "given": machine.label(given)}
            )


def _db_sentence(exc: Exception) -> str:
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
        # DETAIL:  Key (code)=(GC-0002) already exists.
        key = text.partition("Key (code)=(")[2].rpartition(") already exists")[0]
        if key:
            return _(
                "The code %(code)s already exists in the layer (mode create; it may have been "
                "created since the file was checked), so nothing was written."
            ) % {"code": control_escape(key)[:100]}
        return _(
            "A code in the file already exists in the layer (mode create), so nothing was written."
        )
    return _("The database refused the import, so nothing was written: %(reason)s") % {
        "reason": _first_line(exc)
    }


def _first_line(exc: Exception) -> str:
    """The first line of a database error, shortened and printable."""
    lines = str(exc).strip().splitlines() or [exc.__class__.__name__]
    return control_escape(lines[0][:300])


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
