"""Writing many assets at once from a staging table, by the rules of single-record writes.

A ``BulkWrite`` holds one transaction's work on one asset table: rows are COPYed into a
temporary staging table (in chunks, so a million rows never sit in memory at once), and
set-based SQL updates the records whose values changed and inserts the new codes, each
statement deriving the subdistricts (``rules.subdistrict_sql``), bumping ``version`` and
writing the history rows (``history``) in the same statement through a data-modifying
CTE. Under the table lock it checks again what may have changed since the caller's
validation: status changes (``rules.status_change_check``), the writer's scope
(``geo_cm.roles``) and codes generated before the lock. ``finish`` deletes what replace
mode removes and sends ``assets_changed``. With ``dry=True`` nothing is written: the same
staging yields the counts of what would be created, updated, left unchanged and deleted.

``assets_bulk_create`` writes unsaved model instances (generated data such as the demo)
by the same subdistrict rule, version and history shape.
"""

import io
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from ..models import Subdistrict
from ..roles import user_subdistrict_ids, user_write_limits
from . import history
from .rules import (
    VERSION_FIRST,
    assets_assign_subdistrict,
    geometry_column,
    status_change_check,
    status_error_text,
    subdistrict_sql,
)
from .signals import assets_changed_send

STAGE = "geocm_asset_stage"
OLD = "geocm_asset_old"
SEEN = "geocm_asset_seen"
# Geometries closer than this (degrees, Hausdorff) count as equal: survives text formats.
GEOM_TOLERANCE_DEG = 1e-9
MODES = ("create", "upsert", "replace")
# Fields the writer sets itself on every record it creates.
WRITER_FIELDS = ("subdistrict", "source", "created_at", "updated_at", "version")
# COPY text format: backslash, tab, newline and carriage return are escaped in values.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class BulkWriteError(Exception):
    """Nothing was written; the message says why, in a sentence for the user."""


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def copy_cells(values, internal_type: str) -> list[str]:
    """Python values -> COPY text-format cells: \\N for None, escapes in text."""
    import numpy as np
    import pandas as pd

    values = np.asarray(values, dtype=object)
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


def copy_lines(rn, generated, cells: list, wkb) -> list[str]:
    """The staging table's COPY lines: row number, whether the code was generated, the
    field cells (``copy_cells``, in the writer's field order) and the hex WKB."""
    gen = ["t" if g else "f" for g in generated]
    columns = [[str(r) for r in rn], gen, *cells, list(wkb)]
    return ["\t".join(row) + "\n" for row in zip(*columns, strict=True)]


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, other: "Counts") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted


@dataclass
class BulkWrite:
    """One bulk write of ``fields`` (model fields; "code" among them) and the geometry.

    mode: create (every code must be new), upsert (update changed rows, insert new codes)
    or replace (as upsert, then delete the records of ``replace_subdistrict`` that the
    rows did not hold). New records take, for the fields not staged, ``new_values`` over
    the model's defaults and the status machine's initial state. ``source`` marks created
    records and every history row.
    """

    model: type
    fields: list
    mode: str = "upsert"
    by: object = None
    source: str = ""
    note: str = ""
    status_field: str | None = "status"
    new_values: dict = field(default_factory=dict)
    replace_subdistrict: Subdistrict | None = None
    dry: bool = False
    counts: Counts = field(default_factory=Counts)
    _began: bool = False
    # Whether the table held no record when the lock was taken: then no staged code can
    # match a stored one (the caller's rows have unique codes), and the joins are skipped.
    _was_empty: bool = False

    def __post_init__(self):
        # New records get the default of every field not staged, the fields no caller may
        # set (bookkeeping, flags) included; those the writer derives itself excepted.
        staged = {f.name for f in self.fields}
        defaults = {}
        for f in self.model._meta.concrete_fields:
            if (
                f.name in staged
                or f.name in WRITER_FIELDS
                or f.primary_key
                or hasattr(f, "geom_type")
                or getattr(f, "generated", False)
            ):
                continue
            if f.name == self.status_field and getattr(self.model, "status_machine", None):
                defaults[f.name] = self.model.status_machine.initial
            elif f.has_default() or (f.blank and f.empty_strings_allowed and not f.null):
                defaults[f.name] = f.get_default()
        self.new_values = {**defaults, **self.new_values}

    # --- set-up -------------------------------------------------------------------------

    @property
    def table(self) -> str:
        return _q(self.model._meta.db_table)

    @property
    def geom_field(self):
        return self.model._meta.get_field("geom")

    def begin(self, cursor) -> None:
        """Lock the table (not in a dry run) and create the staging tables."""
        if self.mode not in MODES:
            raise BulkWriteError(_("The mode must be create, upsert or replace."))
        # PostGIS functions are costed so high that the planner would JIT-compile these
        # one-off statements: 0.1-0.2 s each, for nothing. SET LOCAL ends with the
        # transaction (or the savepoint, when a caller's transaction encloses ours).
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        if not self.dry:
            # Bulk writes into one table run one at a time; readers are not blocked.
            cursor.execute(f"LOCK TABLE {self.table} IN SHARE ROW EXCLUSIVE MODE")
            # Foreign keys checked at the end of each statement rather than all at COMMIT:
            # the same checks, but a deferred queue of hundreds of thousands of events costs
            # more, and it would leave the whole of it to the end. ``finish`` defers again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cols = ", ".join(f"{_q(f.column)} {f.db_type(connection)}" for f in self.fields)
        # ON COMMIT DROP does not fire inside an outer transaction (tests, a caller's atomic).
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}, {OLD}, {SEEN}")
        cursor.execute(
            f"CREATE TEMP TABLE {STAGE} (rn integer, generated boolean, {cols}, "
            f"{geometry_column(self.model)} geometry(Geometry, 4326)) ON COMMIT DROP"
        )
        if self.mode == "replace":
            cursor.execute(f"CREATE TEMP TABLE {SEEN} (code text PRIMARY KEY) ON COMMIT DROP")
        cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {self.table})")  # noqa: S608
        self._was_empty = cursor.fetchone()[0]
        self._began = True

    # --- one chunk ----------------------------------------------------------------------

    def add(
        self, cursor, *, rn, cells: dict[str, list[str]] | None, wkb, generated=None, lines=None
    ) -> Counts:
        """Stage one chunk and write it (or count it, in a dry run).

        rn: 1-based row numbers; cells: field name -> COPY cells (``copy_cells``); wkb:
        hex WKB in EPSG:4326; generated: whether each code was generated by the caller
        (such codes must still be free under the lock); or ``lines``, the chunk's COPY
        lines made by ``copy_lines`` in the order of ``self.fields`` (a caller that builds
        them while the database works). Returns this chunk's counts.
        """
        assert self._began, "begin() first"
        n = len(rn)
        if not n:
            return Counts()
        # One chunk per COPY into an emptied table: a sequential scan reads it back in file
        # order, so records are numbered in the order of the file without a sort.
        cursor.execute(f"TRUNCATE {STAGE}")
        if lines is None:
            generated = generated if generated is not None else [False] * n
            # Hex WKB needs no escaping; the column gives the SRID.
            lines = copy_lines(rn, generated, [cells[f.name] for f in self.fields], wkb)
        text = "".join(lines)
        del lines
        names = ["rn", "generated", *(_q(f.column) for f in self.fields)]
        names.append(geometry_column(self.model))
        # Read in 1 MB pieces (psycopg2 reads 8 kB at a time by default).
        cursor.copy_expert(
            f"COPY {STAGE} ({', '.join(names)}) FROM STDIN", io.StringIO(text), 1 << 20
        )
        del text
        if self.mode == "replace":
            cursor.execute(f"INSERT INTO {SEEN} SELECT code FROM {STAGE} ON CONFLICT DO NOTHING")
        if not self._was_empty:
            # Statistics for the joins on code; the geometry column's are not needed.
            cursor.execute(f"ANALYZE {STAGE} (rn, code)")
            self._check_generated_codes(cursor)
            self._check_status_changes(cursor)
        self._check_scope(cursor)
        counts = Counts()
        if self.dry:
            counts = Counts(created=n) if self._was_empty else self._count(cursor)
        else:
            if self.mode != "create" and not self._was_empty:
                counts.updated = self._update_changed(cursor)
            counts.created = self._insert_new(cursor)
            counts.unchanged = n - counts.created - counts.updated
        self.counts.add(counts)
        return counts

    def _check_generated_codes(self, cursor) -> None:
        cursor.execute(
            f"SELECT s.code FROM {STAGE} s JOIN {self.table} t ON t.code = s.code "  # noqa: S608
            "WHERE s.generated ORDER BY s.rn LIMIT 1"
        )
        taken = cursor.fetchone()
        if taken:
            raise BulkWriteError(
                _(
                    "The code %(code)s, generated when the file was checked, has been taken "
                    "since by another record; nothing was written. Check the file again."
                )
                % {"code": taken[0]}
            )

    def _check_status_changes(self, cursor) -> None:
        """Status changes judged from what is stored now, under the lock (the caller's
        validation looked before the lock was taken)."""
        machine = getattr(self.model, "status_machine", None)
        names = {f.name for f in self.fields}
        if machine is None or self.status_field not in names:
            return
        col = _q(self.model._meta.get_field(self.status_field).column)
        cursor.execute(
            f"SELECT t.{col}, s.{col}, min(s.code) FROM {self.table} t "  # noqa: S608
            f"JOIN {STAGE} s ON s.code = t.code "
            f"WHERE s.{col} IS NOT NULL AND s.{col} IS DISTINCT FROM t.{col} GROUP BY 1, 2"
        )
        for stored, given, code in cursor.fetchall():
            try:
                status_change_check(machine=machine, current=stored, target=given)
            except ValidationError as exc:
                raise BulkWriteError(
                    _(
                        "The status of %(code)s is now %(stored)s, and the state machine does "
                        "not allow %(stored)s to %(given)s (%(why)s); nothing was written."
                    )
                    % {
                        "code": code,
                        "stored": machine.label(stored),
                        "given": machine.label(given),
                        "why": status_error_text(exc),
                    }
                ) from exc

    def _check_scope(self, cursor) -> None:
        """The writer's role limits (``geo_cm.roles``): fields it may write, and for a
        scoped role only records inside its work area, before and after the change."""
        user = self.by
        if user is None or not getattr(user, "is_authenticated", False):
            return  # internal callers (loaders) pass no user
        allowed, scoped = user_write_limits(user)
        if allowed is not None:
            denied = sorted({f.name for f in self.fields} - {"code"} - set(allowed))
            if denied:
                raise PermissionDenied(
                    _("Your role may not change the field '%(field)s'.") % {"field": denied[0]}
                )
        if not scoped:
            return
        area = list(user_subdistrict_ids(user)) or [0]
        geom = geometry_column(self.model)
        cursor.execute(
            f"SELECT s.code FROM {STAGE} s LEFT JOIN {self.table} t ON t.code = s.code "  # noqa: S608
            f"WHERE coalesce({subdistrict_sql('s.' + geom)}, 0) <> ALL(%s) "
            "OR (t.id IS NOT NULL AND coalesce(t.subdistrict_id, 0) <> ALL(%s)) "
            "ORDER BY s.rn LIMIT 1",
            [area, area],
        )
        outside = cursor.fetchone()
        if outside:
            raise PermissionDenied(
                _("Asset %(code)s is outside your work area; ask its subdistrict's team.")
                % {"code": outside[0]}
            )

    def _differs_sql(self) -> str:
        """SQL true when stage row ``s`` differs from stored record ``t``."""
        geom = geometry_column(self.model)
        g_t, g_s = f"t.{geom}", f"s.{geom}"
        geom_same = (
            f"(ST_AsEWKB({g_t}) = ST_AsEWKB({g_s}) "
            f"OR (GeometryType({g_t}) = GeometryType({g_s}) "
            f"AND ST_NPoints({g_t}) = ST_NPoints({g_s}) "
            f"AND ST_HausdorffDistance({g_t}, {g_s}) < {GEOM_TOLERANCE_DEG}))"
        )
        compared = [f for f in self.fields if f.name != "code"]
        return " OR ".join(
            [f"t.{_q(f.column)} IS DISTINCT FROM s.{_q(f.column)}" for f in compared]
            + [f"NOT {geom_same}"]
        )

    def _count(self, cursor) -> Counts:
        cursor.execute(
            f"SELECT count(*) FILTER (WHERE t.id IS NULL), "  # noqa: S608
            f"count(*) FILTER (WHERE t.id IS NOT NULL AND ({self._differs_sql()})), count(*) "
            f"FROM {STAGE} s LEFT JOIN {self.table} t ON t.code = s.code"
        )
        new, changed, total = cursor.fetchone()
        if self.mode == "create":
            # Create mode inserts every row (an existing code is refused by validation).
            return Counts(created=total)
        return Counts(created=new, updated=changed, unchanged=total - new - changed)

    def _history_head(self) -> str:
        return f"INSERT INTO {history.history_table()} ({history.HISTORY_COLUMNS})"

    def _update_changed(self, cursor) -> int:
        compared = [f for f in self.fields if f.name != "code"]
        geom_f = self.geom_field
        geom = geometry_column(self.model)
        old_cols = ", ".join(["t.id", *(f"t.{_q(f.column)}" for f in compared), f"t.{geom}"])
        cursor.execute(f"DROP TABLE IF EXISTS {OLD}")
        cursor.execute(
            f"CREATE TEMP TABLE {OLD} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {old_cols} FROM {self.table} t JOIN {STAGE} s ON s.code = t.code "
            f"WHERE {self._differs_sql()}"
        )
        if not cursor.rowcount:
            return 0
        sets = ", ".join(
            [f"{_q(f.column)} = s.{_q(f.column)}" for f in compared]
            + [f"{geom} = s.{geom}", f"subdistrict_id = {subdistrict_sql('s.' + geom)}"]
        )
        diff = history.updated_sql("o", "u", [*compared, geom_f])
        status_only = "false"
        if self.status_field in {f.name for f in compared}:
            status_only = (
                f"(SELECT array_agg(k) FROM jsonb_object_keys(d.changes) k) "
                f"= ARRAY['{self.status_field}']"
            )
        cursor.execute(
            f"""WITH changed AS (
                    UPDATE {self.table} t SET {sets}, version = t.version + 1,
                        updated_at = now()
                    FROM {OLD} o, {STAGE} s
                    WHERE o.id = t.id AND s.code = t.code
                    RETURNING t.*),
                diffs AS (
                    SELECT u.id, u.code, u.version, {diff} AS changes
                    FROM changed u JOIN {OLD} o ON o.id = u.id)
                {self._history_head()}
                SELECT %s, d.id, d.code,
                    CASE WHEN {status_only} THEN 'status' ELSE 'update' END,
                    d.changes, %s, %s, %s, d.version, now()
                FROM diffs d""",  # noqa: S608
            [self._content_type(), self._user_id(), self.note, self.source],
        )
        return cursor.rowcount

    def _insert_new(self, cursor) -> int:
        geom = geometry_column(self.model)
        staged = {f.name for f in self.fields}
        defaults = [
            (self.model._meta.get_field(name), value)
            for name, value in self.new_values.items()
            if name not in staged
        ]
        insert_cols = [_q(f.column) for f in self.fields] + [_q(f.column) for f, _v in defaults]
        select = [f"s.{_q(f.column)}" for f in self.fields] + ["%s"] * len(defaults)
        new_codes_only = (
            ""
            if self.mode == "create" or self._was_empty
            # Create mode inserts every row: a code created since validation breaks the
            # unique constraint and nothing is written, instead of being skipped.
            else f"WHERE NOT EXISTS (SELECT 1 FROM {self.table} t WHERE t.code = s.code)"
        )
        # The history keeps the fields the writer set: the staged ones, a status given by
        # default (the machine's initial state) and the geometry; as for a single record.
        status = [f for f, _v in defaults if f.name == self.status_field]
        recorded = [*self.fields, *status, self.geom_field]
        returned = ", ".join(["id", "version", *(_q(f.column) for f in recorded)])
        cursor.execute(
            f"""WITH created AS (
                    INSERT INTO {self.table} ({", ".join(insert_cols)}, {geom},
                        subdistrict_id, source, created_at, updated_at, version)
                    SELECT {", ".join(select)}, s.{geom}, {subdistrict_sql("s." + geom)},
                        %s, now(), now(), {VERSION_FIRST}
                    FROM {STAGE} s
                    {new_codes_only}
                    RETURNING {returned})
                {self._history_head()}
                SELECT %s, c.id, c.code, 'create', {history.created_sql("c", recorded)},
                    %s, %s, %s, c.version, now()
                FROM created c""",  # noqa: S608
            [
                *(v for _f, v in defaults),
                self.source,
                self._content_type(),
                self._user_id(),
                self.note,
                self.source,
            ],
        )
        return cursor.rowcount

    # --- the end ------------------------------------------------------------------------

    def finish(self, cursor) -> Counts:
        """Replace mode: delete the subdistrict's records the rows did not hold (counted
        only, in a dry run). Drops the staging tables and notifies the subscribers."""
        if self.mode == "replace":
            self.counts.deleted = self._delete_missing(cursor)
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}, {OLD}, {SEEN}")
        cursor.execute("SET LOCAL jit TO DEFAULT")
        cursor.execute("SET LOCAL work_mem TO DEFAULT")
        if not self.dry:
            # Django declares its foreign keys DEFERRABLE INITIALLY DEFERRED: back to that.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            changed = self.counts.created + self.counts.updated + self.counts.deleted
            assets_changed_send(model=self.model, action="bulk", count=changed, source=self.source)
        return self.counts

    def _delete_missing(self, cursor) -> int:
        area = self.replace_subdistrict
        if area is None:
            raise BulkWriteError(_("Replacing needs the subdistrict to replace."))
        missing = (
            f"FROM {self.table} t WHERE t.subdistrict_id = %s "
            f"AND NOT EXISTS (SELECT 1 FROM {SEEN} s WHERE s.code = t.code)"
        )
        if self.dry:
            cursor.execute(f"SELECT count(*) {missing}", [area.pk])  # noqa: S608
            return cursor.fetchone()[0]
        fields = [*history.editable_fields(self.model)]
        cursor.execute(
            f"""WITH gone AS (DELETE {missing} RETURNING t.*)
                {self._history_head()}
                SELECT %s, d.id, d.code, 'delete', {history.deleted_sql("d", fields)},
                    %s, %s, %s, d.version, now()
                FROM gone d""",  # noqa: S608
            [area.pk, self._content_type(), self._user_id(), self.note, self.source],
        )
        return cursor.rowcount

    def _content_type(self) -> int:
        return ContentType.objects.get_for_model(self.model).pk

    def _user_id(self):
        return self.by.pk if getattr(self.by, "pk", None) else None


@transaction.atomic
def assets_bulk_create(*, model, rows: list, source: str, note: str = "", by=None) -> int:
    """Create unsaved instances ``rows`` of an asset ``model`` in bulk (generated data).

    ``bulk_create`` in batches, the subdistricts by ``rules.subdistrict_sql``, one history
    row per record ("create", every editable field and the geometry) in one statement, and
    ``assets_changed``. Returns the number created.
    """
    if not rows:
        return 0
    for row in rows:
        row.source = source
        row.version = VERSION_FIRST
    model.objects.bulk_create(rows, batch_size=1000)
    pks = [r.pk for r in rows]
    assets_assign_subdistrict(model=model, pks=pks)
    fields = [f for f in history.editable_fields(model)]
    user_id = by.pk if getattr(by, "pk", None) else None
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {history.history_table()} ({history.HISTORY_COLUMNS})
                SELECT %s, c.id, c.code, 'create', {history.created_sql("c", fields)},
                    %s, %s, %s, c.version, now()
                FROM {_q(model._meta.db_table)} c WHERE c.id = ANY(%s) ORDER BY c.id""",  # noqa: S608
            [ContentType.objects.get_for_model(model).pk, user_id, note, source, pks],
        )
    assets_changed_send(model=model, action="bulk", count=len(rows), source=source)
    return len(rows)
