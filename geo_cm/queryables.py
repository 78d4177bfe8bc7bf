"""What a user may filter and sort a layer by, and CQL2 trees turned into ORM conditions.

A layer's queryables are the properties the user may read (the public allow-list for
anonymous users, the staff fields for staff) plus its geometry, named ``geometry``. A
filter or sort on anything else, a staff field included, is refused by name, so the
public/staff split holds for filters as it does for the properties returned.

Conditions are Django expressions (lookups over ``F()`` and ``Value()``): every literal
travels as a query parameter, and every literal is type-checked against its property
first, so a mismatch is a 400 naming the property, not a database error.
"""

import json
from dataclasses import dataclass
from functools import reduce

from django.contrib.gis.db import models as gis_models
from django.contrib.gis.geos import (
    GeometryCollection,
    GEOSException,
    GEOSGeometry,
    Point,
    Polygon,
)
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    IsNull,
    LessThan,
    LessThanOrEqual,
    Lookup,
)
from django.utils.translation import gettext as _

from . import cql2
from .crs import CRS84, Crs

GEOMETRY = "geometry"
GEOMETRY_FORMATS = {
    name: f"geometry-{name.lower()}"
    for name in (
        "POINT",
        "MULTIPOINT",
        "LINESTRING",
        "MULTILINESTRING",
        "POLYGON",
        "MULTIPOLYGON",
    )
}
MAX_IN_ITEMS = 1000


@dataclass(frozen=True)
class Queryable:
    """One property a filter may name.

    kind: string, integer, number, boolean, date, timestamp or geometry.
    path: the ORM path compared (a foreign key compares the related record's code).
    """

    name: str
    kind: str
    path: str
    title: str
    enum: tuple[str, ...] = ()
    max_length: int | None = None
    geometry_format: str | None = None  # JSON Schema format, e.g. geometry-point


def _kind(field) -> str | None:
    """The queryable kind of a model field, or None for a type filters do not offer."""
    if isinstance(field, models.GeneratedField):
        return _kind(field.output_field)
    if isinstance(field, gis_models.GeometryField):
        return "geometry"
    if isinstance(field, models.BooleanField):
        return "boolean"
    if isinstance(field, models.DateTimeField):
        return "timestamp"
    if isinstance(field, models.DateField):
        return "date"
    if isinstance(field, models.IntegerField | models.AutoField):
        return "integer"
    if isinstance(field, models.FloatField | models.DecimalField):
        return "number"
    if isinstance(field, models.CharField | models.TextField):
        return "string"
    return None


def layer_queryables(*, layer, user) -> dict[str, Queryable]:
    """The properties ``user`` may filter and sort ``layer`` by, in the layer's order.

    Everything readable by the user (``Layer.fields_for``) plus ``geometry`` (EPSG:4326
    in storage; literals are compared after transformation from the filter CRS).
    """
    found = {}
    for name in layer.fields_for(user):
        field = layer.model._meta.get_field(name)
        path, kind = name, _kind(field)
        if isinstance(field, models.ForeignKey):
            # As the features show it: the related record's code, else its id.
            code = next((f for f in field.related_model._meta.fields if f.name == "code"), None)
            path = f"{name}__code" if code else f"{name}_id"
            kind = _kind(code) if code else "integer"
        if kind is None:
            continue
        found[name] = Queryable(
            name=name,
            kind=kind,
            path=path,
            title=str(field.verbose_name),
            enum=tuple(str(v) for v, _label in field.choices) if field.choices else (),
            max_length=getattr(field, "max_length", None),
        )
    geom = layer.model._meta.get_field(layer.geometry_field)
    found[GEOMETRY] = Queryable(
        name=GEOMETRY,
        kind="geometry",
        path=layer.geometry_field,
        title=str(geom.verbose_name),
        geometry_format=GEOMETRY_FORMATS.get(geom.geom_type, "geometry-any"),
    )
    return found


class CqlLike(Lookup):
    """SQL LIKE with CQL2's wildcards (% and _, escaped by a backslash, as PostgreSQL)."""

    lookup_name = "cql_like"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs}", [*lhs_params, *rhs_params]


COMPARE = {
    "=": Exact,
    "<": LessThan,
    "<=": LessThanOrEqual,
    ">": GreaterThan,
    ">=": GreaterThanOrEqual,
}
FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
# Literal kinds each property kind can be compared with.
COMPATIBLE = {
    "string": {"string"},
    "integer": {"number"},
    "number": {"number"},
    "boolean": {"boolean"},
    "date": {"date"},
    "timestamp": {"timestamp"},
}
OUTPUT = {
    "string": models.TextField,
    "number": models.FloatField,
    "boolean": models.BooleanField,
    "date": models.DateField,
    "timestamp": models.DateTimeField,
}
SPATIAL_LOOKUP = {
    "s_intersects": "intersects",
    "s_equals": "equals",
    "s_disjoint": "disjoint",
    "s_touches": "touches",
    "s_within": "within",
    "s_overlaps": "overlaps",
    "s_crosses": "crosses",
    "s_contains": "contains",
}
# With the literal written first, the relation read from the property's side.
SPATIAL_SWAPPED = {"s_within": "s_contains", "s_contains": "s_within"}


class FilterError(ValueError):
    """A filter that parses but cannot apply (unknown property, mismatched types)."""


class _Compiler:
    def __init__(self, queryables: dict[str, Queryable], crs: Crs):
        self.queryables = queryables
        self.crs = crs

    def queryable(self, prop: cql2.Prop) -> Queryable:
        found = self.queryables.get(prop.name)
        if found is None:
            names = ", ".join(self.queryables)
            raise FilterError(
                _("'%(name)s' is not a queryable of this collection. Queryables: %(names)s.")
                % {"name": prop.name, "names": names}
            )
        return found

    # scalars: (expression, kind, queryable or None)
    def operand(self, node):
        if isinstance(node, cql2.Prop):
            q = self.queryable(node)
            if q.kind == "geometry":
                raise FilterError(
                    _(
                        "'%(name)s' is a geometry: compare it with a spatial function "
                        "such as S_INTERSECTS."
                    )
                    % {"name": q.name}
                )
            return F(q.path), q.kind, q
        if isinstance(node, cql2.CaseI):
            expr, kind, q = self.operand(node.arg)
            if kind != "string":
                raise FilterError(_("CASEI applies to text only."))
            return Lower(expr), kind, q
        if isinstance(node, cql2.Lit):
            value = node.value
            return Value(value, output_field=OUTPUT[node.kind]()), node.kind, None
        if isinstance(node, cql2.Geom):
            raise FilterError(_("Geometries can only be used in spatial functions."))
        raise FilterError(_("This part of the filter is not supported."))

    def pair(self, left, right):
        """(property side, literal side, flipped) for a comparison of two operands."""
        lexpr, lkind, lq = self.operand(left)
        rexpr, rkind, rq = self.operand(right)
        if (lq is None) == (rq is None):
            raise FilterError(
                _(
                    "Compare a property with a value: comparing two properties, or two "
                    "values, is not supported."
                )
            )
        flipped = lq is None
        prop, pkind, q, lit, litkind = (
            (rexpr, rkind, rq, lexpr, lkind) if flipped else (lexpr, lkind, lq, rexpr, rkind)
        )
        if litkind not in COMPATIBLE[pkind]:
            raise FilterError(
                _("'%(name)s' holds %(kind)s values; it cannot be compared with a %(lit)s.")
                % {"name": q.name, "kind": _kind_label(pkind), "lit": _kind_label(litkind)}
            )
        # CASEI on one side folds both: folded text is never compared with unfolded text.
        if isinstance(prop, Lower) and not isinstance(lit, Lower):
            lit = Lower(lit)
        elif isinstance(lit, Lower) and not isinstance(prop, Lower):
            prop = Lower(prop)
        return prop, lit, flipped, q

    def compile(self, node) -> Q:
        if isinstance(node, cql2.And):
            return reduce(lambda a, b: a & b, (self.compile(a) for a in node.args))
        if isinstance(node, cql2.Or):
            return reduce(lambda a, b: a | b, (self.compile(a) for a in node.args))
        if isinstance(node, cql2.Not):
            return ~self.compile(node.arg)
        if isinstance(node, cql2.BoolLit):
            return Q(pk__isnull=False) if node.value else Q(pk__isnull=True)
        if isinstance(node, cql2.Compare):
            prop, lit, flipped, _q = self.pair(node.left, node.right)
            op = FLIPPED[node.op] if flipped else node.op
            if op == "<>":
                return ~Q(Exact(prop, lit))
            return Q(COMPARE[op](prop, lit))
        if isinstance(node, cql2.Like):
            prop, lit, flipped, q = self.pair(node.value, node.pattern)
            if flipped or q.kind != "string":
                raise FilterError(_("LIKE needs a text property on the left and a pattern."))
            return Q(CqlLike(prop, lit))
        if isinstance(node, cql2.Between):
            low_prop, low, flipped_low, q = self.pair(node.value, node.low)
            _p, high, flipped_high, _q = self.pair(node.value, node.high)
            ordered = q.kind in ("integer", "number", "date", "timestamp")
            if flipped_low or flipped_high or not ordered:
                raise FilterError(_("BETWEEN needs a number or date property and two values."))
            return Q(GreaterThanOrEqual(low_prop, low)) & Q(LessThanOrEqual(low_prop, high))
        if isinstance(node, cql2.In):
            if len(node.items) > MAX_IN_ITEMS:
                raise FilterError(_("IN takes at most %(n)s values.") % {"n": MAX_IN_ITEMS})
            conditions = []
            for item in node.items:
                prop, lit, flipped, _q = self.pair(node.value, item)
                if flipped:
                    raise FilterError(_("IN needs a property on the left and a list of values."))
                conditions.append(Q(Exact(prop, lit)))
            return reduce(lambda a, b: a | b, conditions)
        if isinstance(node, cql2.IsNull):
            if isinstance(node.value, cql2.Prop):
                q = self.queryable(node.value)
                return Q(IsNull(F(q.path), True))
            raise FilterError(_("IS NULL applies to a property."))
        if isinstance(node, cql2.Spatial):
            return self.spatial(node)
        raise FilterError(_("This part of the filter is not supported."))

    def spatial(self, node) -> Q:
        left, right, op = node.left, node.right, node.op
        if isinstance(left, cql2.Geom) and isinstance(right, cql2.Prop):
            left, right, op = right, left, SPATIAL_SWAPPED.get(op, op)
        if not (isinstance(left, cql2.Prop) and isinstance(right, cql2.Geom)):
            raise FilterError(
                _("Spatial functions compare the geometry property with a geometry value.")
            )
        q = self.queryable(left)
        if q.kind != "geometry":
            raise FilterError(
                _("'%(name)s' is not a geometry; spatial functions take '%(geometry)s'.")
                % {"name": q.name, "geometry": GEOMETRY}
            )
        geom = geometry_literal(right, self.crs)
        return Q(**{f"{q.path}__{SPATIAL_LOOKUP[op]}": geom})


def _kind_label(kind: str) -> str:
    return {
        "string": _("text"),
        "integer": _("number"),
        "number": _("number"),
        "boolean": _("true/false"),
        "date": _("date"),
        "timestamp": _("timestamp"),
    }[kind]


def _xy(node: cql2.Geom, crs: Crs):
    def walk(coords, depth):
        if depth == 0:
            first, second = coords
            if not crs.contains(first, second):
                raise FilterError(
                    _(
                        "A coordinate of the filter's geometry (%(a)s %(b)s) is outside the "
                        "range of %(crs)s: check the axis order and filter-crs."
                    )
                    % {"a": first, "b": second, "crs": crs.curie}
                )
            return list(crs.to_xy(first, second))
        return [walk(c, depth - 1) for c in coords]

    return walk(node.coordinates, cql2.NESTING[node.type])


def geometry_literal(node: cql2.Geom, crs: Crs = CRS84) -> GEOSGeometry:
    """A CQL2 geometry literal (coordinates in ``crs``'s axis order) as a GEOS geometry.

    Its SRID is ``crs.srid``; GeoDjango transforms it to EPSG:4326 in SQL. Invalid
    geometries (self-intersecting rings...) are refused here: PostGIS would fail on them.
    """
    if node.type == "BBox":
        numbers = node.coordinates
        if len(numbers) == 6:
            numbers = (numbers[0], numbers[1], numbers[3], numbers[4])
        a1, a2, b1, b2 = numbers
        for first, second in ((a1, a2), (b1, b2)):
            if not crs.contains(first, second):
                raise FilterError(
                    _(
                        "BBOX lies outside the range of %(crs)s: check the axis order and "
                        "filter-crs."
                    )
                    % {"crs": crs.curie}
                )
        x1, y1 = crs.to_xy(a1, a2)
        x2, y2 = crs.to_xy(b1, b2)
        if x1 > x2 or y1 > y2:
            raise FilterError(_("BBOX is reversed: give the lower corner first."))
        if (x1, y1) == (x2, y2):
            return Point(x1, y1, srid=crs.srid)
        box = Polygon.from_bbox((x1, y1, x2, y2))
        box.srid = crs.srid
        return box
    try:
        if node.type == "GeometryCollection":
            parts = [geometry_literal(member, crs) for member in node.coordinates]
            geom = GeometryCollection(*parts, srid=crs.srid)
        else:
            text = json.dumps({"type": node.type, "coordinates": _xy(node, crs)})
            geom = GEOSGeometry(text)
    except (GEOSException, ValueError, TypeError) as exc:
        raise FilterError(
            _("The filter's %(type)s is malformed: %(reason)s.")
            % {"type": node.type, "reason": exc}
        ) from None
    geom.srid = crs.srid
    if not geom.valid:
        raise FilterError(
            _("The filter's %(type)s is invalid: %(reason)s.")
            % {"type": node.type, "reason": geom.valid_reason}
        )
    return geom


def cql2_to_q(*, tree, queryables: dict[str, Queryable], crs: Crs = CRS84) -> Q:
    """The CQL2 syntax tree as a Q over the layer's model (raises FilterError).

    ``crs`` is the filter CRS: geometry literals are in its axis order and are transformed
    to EPSG:4326 by PostGIS.
    """
    return _Compiler(queryables, crs).compile(tree)
