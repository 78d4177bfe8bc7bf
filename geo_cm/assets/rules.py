"""The rules every asset write obeys, defined once for single records and staging tables.

- The subdistrict of a record is the one holding ``ST_PointOnSurface`` of its geometry
  (a point on the line for lines); on a shared border the subdistrict with the lowest id
  wins; outside every subdistrict it is NULL. ``subdistrict_sql`` is that rule as one SQL
  value, used by the single-record services and by the bulk writer alike.
- A status changes only along the layer's state machine (``status_change_check``).
- Every change bumps ``version`` by one (``VERSION_BUMP_SQL`` / ``version_bumped``); a new
  record starts at ``VERSION_FIRST``.
- Who may write which fields where: ``geo_cm.roles.asset_write_check`` for one record,
  ``scope_check_sql`` for many.
"""

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F

from ..models import Subdistrict

VERSION_FIRST = 1
VERSION_BUMP_SQL = "version = {alias}version + 1"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def subdistrict_sql(geom_sql: str) -> str:
    """The subdistrict id for the geometry SQL expression ``geom_sql`` (EPSG:4326)."""
    return (
        f"(SELECT min(d.id) FROM {_q(Subdistrict._meta.db_table)} d "
        f"WHERE ST_Intersects(d.geom, ST_PointOnSurface({geom_sql})))"
    )


def geometry_column(model) -> str:
    """The quoted column of the asset's geometry (the ``geom`` field)."""
    return _q(model._meta.get_field("geom").column)


# Up to this many records, each looks its subdistrict up by itself (a few index probes);
# beyond, one join against the subdistricts cut into small pieces does them all at once.
ASSIGN_ONE_BY_ONE_MAX = 500
# Vertices per piece of a subdistrict outline in that join (ST_Subdivide): a point tested
# against a piece of 128 vertices instead of a whole outline of thousands.
SUBDIVIDE_VERTICES = 128


def assets_assign_subdistrict(*, model, pks=None) -> int:
    """Set ``subdistrict`` from the location for the given rows (all rows when pks is None).

    One set-based UPDATE by ``subdistrict_sql``'s rule (the subdistrict holding
    ``ST_PointOnSurface`` of the geometry, the lowest id on a shared border, NULL
    outside). Many rows: the outlines are cut into pieces (``ST_Subdivide``) and joined to
    the rows through the geometry's spatial index (a point on the surface lies inside the
    geometry, so the piece's box overlaps the geometry's), and only rows whose subdistrict
    changes are written. Few rows: each looks its own subdistrict up. Returns the number
    of rows written.
    """
    table = _q(model._meta.db_table)
    geom = geometry_column(model)
    if pks is not None and len(pks) <= ASSIGN_ONE_BY_ONE_MAX:
        sql = (
            f"UPDATE {table} t SET subdistrict_id = "  # noqa: S608 - names from model metadata
            f"{subdistrict_sql('t.' + geom)} WHERE t.id = ANY(%s)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [list(pks)])
            return cursor.rowcount
    only, params = ("", []) if pks is None else ("AND x.id = ANY(%s)", [list(pks)])
    sql = f"""
        WITH piece AS MATERIALIZED (
            SELECT d.id, ST_Subdivide(d.geom, {SUBDIVIDE_VERTICES}) AS g
            FROM {_q(Subdistrict._meta.db_table)} d),
        hit AS (
            SELECT x.id, min(p.id) AS sub
            FROM piece p JOIN {table} x
              ON p.g && x.{geom} AND ST_Intersects(p.g, ST_PointOnSurface(x.{geom}))
            WHERE TRUE {only}
            GROUP BY x.id)
        UPDATE {table} t SET subdistrict_id = n.sub
        FROM (SELECT x.id, hit.sub FROM {table} x LEFT JOIN hit ON hit.id = x.id
              WHERE TRUE {only}) n
        WHERE t.id = n.id AND t.subdistrict_id IS DISTINCT FROM n.sub"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params * 2)
        return cursor.rowcount


def subdistricts_of(*, wkb_hex: list[str]) -> list[int | None]:
    """The subdistrict id of each geometry (hex WKB, EPSG:4326) by ``subdistrict_sql``,
    in order. Lets a check show, before anything is written, where records will land."""
    if not wkb_hex:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {subdistrict_sql('ST_SetSRID(ST_GeomFromWKB(decode(g.w, %s)), 4326)')} "  # noqa: S608
            "FROM unnest(%s::text[]) WITH ORDINALITY AS g(w, n) ORDER BY g.n",
            ["hex", list(wkb_hex)],
        )
        return [row[0] for row in cursor.fetchall()]


def status_change_check(*, machine, current: str | None, target: str) -> None:
    """Raise ValidationError (on ``status``) unless the machine allows current -> target.

    A record without a stored status (a new one) may be born in any known state.
    """
    if machine is None:
        return
    if current is None:
        if target not in machine.states:
            machine.check(machine.initial, target)  # raises "unknown status"
        return
    machine.check(current, target)


def version_bumped():
    """The ORM expression of the next version (single-record writes)."""
    return F("version") + 1


def status_error_text(exc: ValidationError) -> str:
    """The sentence of a status ValidationError (for messages that are not forms)."""
    messages = exc.message_dict.get("status") if hasattr(exc, "message_dict") else None
    return " ".join(messages or exc.messages)
