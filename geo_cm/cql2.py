"""CQL2 (OGC 21-065r2) parsers: the text and the JSON encodings to one small syntax tree.

Supported (and declared in /ogc/conformance): Basic CQL2 (comparisons, IS NULL, AND, OR,
NOT, string/number/boolean/DATE/TIMESTAMP literals), advanced comparison operators
(LIKE, BETWEEN, IN), CASEI, and the spatial functions S_INTERSECTS, S_EQUALS,
S_DISJOINT, S_TOUCHES, S_WITHIN, S_OVERLAPS, S_CROSSES, S_CONTAINS with every geometry
literal (WKT or GeoJSON, and BBOX). Not supported (refused with a 400 that says so):
temporal and array functions, arithmetic, ACCENTI, comparing two properties.

The text grammar (case-insensitive keywords), a subset of the standard's BNF:

    expression   = term {"OR" term}
    term         = factor {"AND" factor}
    factor       = "NOT" factor | "(" expression ")" | TRUE | FALSE | spatial | predicate
    spatial      = S_FUNC "(" geomOperand "," geomOperand ")"
    geomOperand  = property | WKT literal | BBOX "(" n "," n "," n "," n ["," n "," n] ")"
    predicate    = scalar ( compOp scalar | ["NOT"] "LIKE" scalar
                          | ["NOT"] "BETWEEN" scalar "AND" scalar
                          | ["NOT"] "IN" "(" scalar {"," scalar} ")"
                          | "IS" ["NOT"] "NULL" )
    scalar       = property | 'string' | number | TRUE | FALSE
                 | DATE "(" 'yyyy-mm-dd' ")" | TIMESTAMP "(" 'rfc3339' ")" | CASEI "(" scalar ")"
    property     = identifier | '"' any characters but '"' '"'
    string       = "'" characters, '' or \\' for a quote "'"

This module is pure Python (no database): it turns untrusted text into data. Turning the
tree into SQL is ``geo_cm.queryables`` (through the ORM, every value a query parameter).
Bounded: at most MAX_DEPTH levels of nesting, MAX_NODES nodes and MAX_VERTICES vertices,
so hostile input is a 400, never a stack overflow or a slow query.
"""

import datetime as dt
import json
import math
import re
from dataclasses import dataclass

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

MAX_DEPTH = 40
MAX_NODES = 2000
MAX_VERTICES = 10000
MAX_LENGTH = 20000


class CqlError(ValueError):
    """A filter that cannot be read; the message is a sentence for the client."""


# --- the syntax tree --------------------------------------------------------------------
@dataclass(frozen=True)
class Prop:
    name: str


@dataclass(frozen=True)
class Lit:
    """A scalar literal. kind: string, number, boolean, date or timestamp."""

    value: object
    kind: str


@dataclass(frozen=True)
class CaseI:
    arg: object


@dataclass(frozen=True)
class Geom:
    """A geometry literal as GeoJSON-shaped data, coordinates in the filter CRS's order.

    ``bbox`` literals keep their 4 (or 6) numbers in ``coordinates`` with type "BBox".
    """

    type: str
    coordinates: tuple


@dataclass(frozen=True)
class Compare:
    op: str  # =, <>, <, <=, >, >=
    left: object
    right: object


@dataclass(frozen=True)
class Like:
    value: object
    pattern: object


@dataclass(frozen=True)
class Between:
    value: object
    low: object
    high: object


@dataclass(frozen=True)
class In:
    value: object
    items: tuple


@dataclass(frozen=True)
class IsNull:
    value: object


@dataclass(frozen=True)
class Spatial:
    op: str  # s_intersects, ...
    left: object
    right: object


@dataclass(frozen=True)
class And:
    args: tuple


@dataclass(frozen=True)
class Or:
    args: tuple


@dataclass(frozen=True)
class Not:
    arg: object


@dataclass(frozen=True)
class BoolLit:
    value: bool


COMPARISONS = ("=", "<>", "<", "<=", ">", ">=")
SPATIAL = (
    "s_intersects",
    "s_equals",
    "s_disjoint",
    "s_touches",
    "s_within",
    "s_overlaps",
    "s_crosses",
    "s_contains",
)
GEOMETRY_TYPES = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint",
    "MULTILINESTRING": "MultiLineString",
    "MULTIPOLYGON": "MultiPolygon",
    "GEOMETRYCOLLECTION": "GeometryCollection",
}
# How deep each geometry type's coordinates nest (0: one position).
NESTING = {
    "Point": 0,
    "LineString": 1,
    "MultiPoint": 1,
    "Polygon": 2,
    "MultiLineString": 2,
    "MultiPolygon": 3,
}
# Words of CQL2 this implementation does not offer: named in the error instead of
# "unknown property".
UNSUPPORTED = re.compile(r"^(T_|A_)[A-Z]+$|^(ACCENTI|INTERVAL)$")
KEYWORDS = {
    "AND",
    "OR",
    "NOT",
    "LIKE",
    "BETWEEN",
    "IN",
    "IS",
    "NULL",
    "TRUE",
    "FALSE",
    "DATE",
    "TIMESTAMP",
    "CASEI",
    "BBOX",
    *GEOMETRY_TYPES,
    *(s.upper() for s in SPATIAL),
}


class _Budget:
    def __init__(self):
        self.nodes = 0
        self.vertices = 0

    def node(self):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise CqlError(_("The filter is too long (at most %(n)s terms).") % {"n": MAX_NODES})

    def vertex(self, n=1):
        self.vertices += n
        if self.vertices > MAX_VERTICES:
            raise CqlError(
                _("The filter's geometries have too many vertices (at most %(n)s).")
                % {"n": MAX_VERTICES}
            )


def _date(text: str) -> Lit:
    try:
        value = parse_date(text)
    except ValueError:
        value = None
    if value is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise CqlError(_("DATE needs an ISO date such as '2023-06-30', not '%(v)s'.") % {"v": text})
    return Lit(value, "date")


def _timestamp(text: str) -> Lit:
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise CqlError(
            _(
                "TIMESTAMP needs an RFC 3339 instant with a time zone such as "
                "'2023-06-30T08:00:00Z', not '%(v)s'."
            )
            % {"v": text}
        )
    return Lit(value.astimezone(dt.UTC), "timestamp")


def _number(value) -> float | int:
    if isinstance(value, float) and not math.isfinite(value):
        raise CqlError(_("Numbers in a filter must be finite."))
    return value


# --- CQL2 text ----------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|''|\\.)*')
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<qident>"[^"]*")
  | (?P<ident>[^\W\d][\w.:]*)
  | (?P<op><>|<=|>=|!=|[=<>(),+-])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # string, number, ident, qident, op, end
    text: str
    pos: int

    @property
    def word(self) -> str:
        return self.text.upper() if self.kind == "ident" else ""


def _tokenize(text: str) -> list[_Tok]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise CqlError(
                _("Unexpected character %(c)s at position %(p)s.")
                % {"c": repr(text[pos]), "p": pos + 1}
            )
        kind = match.lastgroup
        if kind != "ws":
            tokens.append(_Tok(kind, match.group(), pos))
        pos = match.end()
    tokens.append(_Tok("end", "", len(text)))
    return tokens


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"''|\\(.)", lambda m: "'" if m.group(0) == "''" else m.group(1), body)


class _TextParser:
    def __init__(self, text: str):
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.budget = _Budget()

    # token helpers
    @property
    def tok(self) -> _Tok:
        return self.tokens[self.i]

    def _next(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _is(self, *words) -> bool:
        return self.tok.word in words or (self.tok.kind == "op" and self.tok.text in words)

    def _error(self, expected: str):
        tok = self.tok
        found = _("the end of the filter") if tok.kind == "end" else repr(tok.text)
        return CqlError(
            _("Expected %(expected)s at position %(pos)s but found %(found)s.")
            % {"expected": expected, "pos": tok.pos + 1, "found": found}
        )

    def _expect(self, symbol: str):
        if not self._is(symbol):
            raise self._error(repr(symbol))
        return self._next()

    def _enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CqlError(
                _("The filter is nested too deeply (at most %(n)s levels).") % {"n": MAX_DEPTH}
            )
        self.budget.node()

    # grammar
    def parse(self):
        if self.tok.kind == "end":
            raise CqlError(_("The filter is empty."))
        tree = self.expression()
        if self.tok.kind != "end":
            raise self._error(_("AND, OR or the end of the filter"))
        return tree

    def expression(self):
        self._enter()
        args = [self.term()]
        while self._is("OR"):
            self._next()
            args.append(self.term())
        self.depth -= 1
        return args[0] if len(args) == 1 else Or(tuple(args))

    def term(self):
        args = [self.factor()]
        while self._is("AND"):
            self._next()
            args.append(self.factor())
        return args[0] if len(args) == 1 else And(tuple(args))

    def factor(self):
        self._enter()
        try:
            if self._is("NOT"):
                self._next()
                return Not(self.factor())
            if self._is("("):
                self._next()
                inner = self.expression()
                self._expect(")")
                return inner
            if self._is("TRUE", "FALSE") and not self._comparison_follows():
                return BoolLit(self._next().word == "TRUE")
            if self.tok.word.lower() in SPATIAL:
                return self.spatial()
            return self.predicate()
        finally:
            self.depth -= 1

    def _comparison_follows(self) -> bool:
        after = self.tokens[self.i + 1]
        return (after.kind == "op" and after.text in (*COMPARISONS, "!=")) or after.word in (
            "LIKE",
            "BETWEEN",
            "IN",
            "IS",
            "NOT",
        )

    def spatial(self):
        op = self._next().word.lower()
        self._expect("(")
        left = self.geom_operand()
        self._expect(",")
        right = self.geom_operand()
        self._expect(")")
        return Spatial(op, left, right)

    def geom_operand(self):
        self.budget.node()
        if self.tok.word == "BBOX":
            self._next()
            self._expect("(")
            numbers = [self.signed_number()]
            while self._is(","):
                self._next()
                numbers.append(self.signed_number())
            self._expect(")")
            if len(numbers) not in (4, 6):
                raise CqlError(_("BBOX needs 4 numbers (or 6 with heights)."))
            return Geom("BBox", tuple(numbers))
        if self.tok.word in GEOMETRY_TYPES:
            return self.wkt()
        if self.tok.kind in ("ident", "qident") and self.tok.word not in KEYWORDS:
            return self.prop()
        raise self._error(_("a geometry property, a WKT geometry or BBOX(...)"))

    def wkt(self):
        word = self._next().word
        kind = GEOMETRY_TYPES[word]
        if self.tok.word in ("Z", "M", "ZM"):
            raise CqlError(_("Geometries in a filter must be 2D (no Z or M)."))
        if self.tok.word == "EMPTY":
            raise CqlError(_("Empty geometries cannot be used in a filter."))
        if kind == "GeometryCollection":
            self._expect("(")
            parts = [self.wkt_member()]
            while self._is(","):
                self._next()
                parts.append(self.wkt_member())
            self._expect(")")
            return Geom(kind, tuple(parts))
        return Geom(kind, self.wkt_coords(kind))

    def wkt_member(self):
        if self.tok.word not in GEOMETRY_TYPES:
            raise self._error(_("a WKT geometry"))
        return self.wkt()

    def wkt_coords(self, kind):
        nesting = NESTING[kind]
        self._expect("(")
        if nesting == 0:
            point = self.position()
            self._expect(")")
            return point
        if kind == "MultiPoint":
            # Both MULTIPOINT((1 2),(3 4)) and MULTIPOINT(1 2, 3 4) are seen in the wild.
            items = [self.multipoint_member()]
            while self._is(","):
                self._next()
                items.append(self.multipoint_member())
            self._expect(")")
            return tuple(items)
        items = [self.wkt_list(nesting - 1)]
        while self._is(","):
            self._next()
            items.append(self.wkt_list(nesting - 1))
        self._expect(")")
        return tuple(items)

    def multipoint_member(self):
        if self._is("("):
            self._next()
            point = self.position()
            self._expect(")")
            return point
        return self.position()

    def wkt_list(self, nesting):
        if nesting == 0:
            return self.position()
        self._expect("(")
        items = [self.wkt_list(nesting - 1)]
        while self._is(","):
            self._next()
            items.append(self.wkt_list(nesting - 1))
        self._expect(")")
        return tuple(items)

    def position(self):
        first = self.signed_number()
        second = self.signed_number()
        if self.tok.kind == "number" or self._is("-", "+"):
            raise CqlError(_("Geometries in a filter must be 2D (no Z or M)."))
        self.budget.vertex()
        return (first, second)

    def signed_number(self):
        sign = 1
        if self._is("-", "+"):
            sign = -1 if self._next().text == "-" else 1
        if self.tok.kind != "number":
            raise self._error(_("a number"))
        text = self._next().text
        value = float(text) if any(c in text for c in ".eE") else int(text)
        return _number(sign * value)

    def prop(self):
        tok = self._next()
        name = tok.text[1:-1] if tok.kind == "qident" else tok.text
        if not name:
            raise CqlError(_("A property name cannot be empty."))
        return Prop(name)

    def scalar(self):
        self.budget.node()
        tok = self.tok
        word = tok.word
        if tok.kind == "string":
            self._next()
            return Lit(_unquote(tok.text), "string")
        if tok.kind == "number" or self._is("-", "+"):
            return Lit(self.signed_number(), "number")
        if word in ("TRUE", "FALSE"):
            self._next()
            return Lit(word == "TRUE", "boolean")
        if word in ("DATE", "TIMESTAMP"):
            self._next()
            self._expect("(")
            if self.tok.kind != "string":
                raise self._error(_("a quoted date"))
            text = _unquote(self._next().text)
            self._expect(")")
            return _date(text) if word == "DATE" else _timestamp(text)
        if word == "CASEI":
            self._next()
            self._expect("(")
            self._enter()
            inner = self.scalar()
            self.depth -= 1
            self._expect(")")
            return CaseI(inner)
        if tok.kind == "qident":
            return self.prop()
        if tok.kind == "ident":
            if UNSUPPORTED.match(word):
                raise CqlError(_("%(name)s is not supported by this server.") % {"name": tok.text})
            if word in KEYWORDS:
                raise self._error(_("a property or a value"))
            if self.tokens[self.i + 1].text == "(":
                raise CqlError(_("Unknown function %(name)s.") % {"name": tok.text})
            return self.prop()
        raise self._error(_("a property or a value"))

    def predicate(self):
        left = self.scalar()
        if self.tok.kind == "op" and self.tok.text in (*COMPARISONS, "!="):
            op = self._next().text
            return Compare("<>" if op == "!=" else op, left, self.scalar())
        negate = False
        if self._is("NOT"):
            self._next()
            negate = True
            if not self._is("LIKE", "BETWEEN", "IN"):
                raise self._error("LIKE, BETWEEN or IN")
        if self._is("LIKE"):
            self._next()
            node = Like(left, self.scalar())
        elif self._is("BETWEEN"):
            self._next()
            low = self.scalar()
            self._expect("AND")
            node = Between(left, low, self.scalar())
        elif self._is("IN"):
            self._next()
            self._expect("(")
            items = [self.scalar()]
            while self._is(","):
                self._next()
                items.append(self.scalar())
            self._expect(")")
            node = In(left, tuple(items))
        elif self._is("IS"):
            self._next()
            if self._is("NOT"):
                self._next()
                negate = True
            self._expect("NULL")
            node = IsNull(left)
        else:
            raise self._error(_("a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL)"))
        return Not(node) if negate else node


def parse_text(text: str):
    """Parse a CQL2 text filter into the syntax tree (raises CqlError)."""
    if len(text) > MAX_LENGTH:
        raise CqlError(_("The filter is too long (at most %(n)s characters).") % {"n": MAX_LENGTH})
    return _TextParser(text).parse()


# --- CQL2 JSON ----------------------------------------------------------------------------
class _JsonParser:
    def __init__(self):
        self.budget = _Budget()

    def _args(self, node, count=None, at_least=None):
        args = node.get("args")
        if not isinstance(args, list):
            raise CqlError(_("'%(op)s' needs an \"args\" array.") % {"op": node.get("op")})
        if (count is not None and len(args) != count) or (
            at_least is not None and len(args) < at_least
        ):
            want = count if count is not None else at_least
            raise CqlError(_("'%(op)s' takes %(n)s arguments.") % {"op": node.get("op"), "n": want})
        return args

    def boolean(self, node, depth=0):
        if depth > MAX_DEPTH:
            raise CqlError(
                _("The filter is nested too deeply (at most %(n)s levels).") % {"n": MAX_DEPTH}
            )
        self.budget.node()
        if isinstance(node, bool):
            return BoolLit(node)
        if not isinstance(node, dict) or not isinstance(node.get("op"), str):
            raise CqlError(_('Each condition must be a JSON object with "op" and "args".'))
        op = node["op"]
        key = op.lower()
        if key in ("and", "or"):
            args = tuple(self.boolean(a, depth + 1) for a in self._args(node, at_least=2))
            return And(args) if key == "and" else Or(args)
        if key == "not":
            return Not(self.boolean(self._args(node, count=1)[0], depth + 1))
        if op in COMPARISONS:
            left, right = self._args(node, count=2)
            return Compare(op, self.scalar(left, depth), self.scalar(right, depth))
        if key == "like":
            left, right = self._args(node, count=2)
            return Like(self.scalar(left, depth), self.scalar(right, depth))
        if key == "between":
            value, low, high = self._args(node, count=3)
            return Between(
                self.scalar(value, depth), self.scalar(low, depth), self.scalar(high, depth)
            )
        if key == "in":
            value, items = self._args(node, count=2)
            if not isinstance(items, list) or not items:
                raise CqlError(_("'in' needs a non-empty list of values."))
            return In(self.scalar(value, depth), tuple(self.scalar(i, depth) for i in items))
        if key == "isnull":
            return IsNull(self.scalar(self._args(node, count=1)[0], depth))
        if key in SPATIAL:
            left, right = self._args(node, count=2)
            return Spatial(key, self.geom_operand(left), self.geom_operand(right))
        if UNSUPPORTED.match(op.upper()):
            raise CqlError(_("%(name)s is not supported by this server.") % {"name": op})
        raise CqlError(_("Unknown operator '%(op)s'.") % {"op": op})

    def scalar(self, node, depth):
        self.budget.node()
        if isinstance(node, bool):
            return Lit(node, "boolean")
        if isinstance(node, int | float):
            return Lit(_number(node), "number")
        if isinstance(node, str):
            return Lit(node, "string")
        if isinstance(node, dict):
            if set(node) == {"property"} and isinstance(node["property"], str):
                if not node["property"]:
                    raise CqlError(_("A property name cannot be empty."))
                return Prop(node["property"])
            if set(node) == {"date"} and isinstance(node["date"], str):
                return _date(node["date"])
            if set(node) == {"timestamp"} and isinstance(node["timestamp"], str):
                return _timestamp(node["timestamp"])
            if str(node.get("op", "")).lower() == "casei":
                if depth > MAX_DEPTH:
                    raise CqlError(
                        _("The filter is nested too deeply (at most %(n)s levels).")
                        % {"n": MAX_DEPTH}
                    )
                return CaseI(self.scalar(self._args(node, count=1)[0], depth + 1))
            if "op" in node:
                name = str(node["op"])
                if UNSUPPORTED.match(name.upper()):
                    raise CqlError(_("%(name)s is not supported by this server.") % {"name": name})
                raise CqlError(_("Unknown function %(name)s.") % {"name": name})
        raise CqlError(
            _(
                'Expected a property ({"property": ...}), a value, {"date": ...} or '
                '{"timestamp": ...}.'
            )
        )

    def geom_operand(self, node):
        self.budget.node()
        if (
            isinstance(node, dict)
            and set(node) == {"property"}
            and isinstance(node["property"], str)
        ):
            return Prop(node["property"])
        if isinstance(node, dict) and set(node) == {"bbox"}:
            box = node["bbox"]
            if not isinstance(box, list) or len(box) not in (4, 6):
                raise CqlError(_("BBOX needs 4 numbers (or 6 with heights)."))
            return Geom("BBox", tuple(self.number(n) for n in box))
        if isinstance(node, dict) and node.get("type") in GEOMETRY_TYPES.values():
            return self.geojson(node, 0)
        raise CqlError(_('Expected a geometry property, a GeoJSON geometry or {"bbox": [...]}.'))

    def number(self, value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CqlError(_("Coordinates must be numbers."))
        return _number(value)

    def geojson(self, node, depth):
        kind = node["type"]
        if kind == "GeometryCollection":
            members = node.get("geometries")
            if not isinstance(members, list) or not members or depth > 2:
                raise CqlError(_("A GeometryCollection needs a list of geometries."))
            parts = []
            for member in members:
                known = isinstance(member, dict) and member.get("type") in GEOMETRY_TYPES.values()
                if not known:
                    raise CqlError(_("A GeometryCollection needs a list of geometries."))
                parts.append(self.geojson(member, depth + 1))
            return Geom(kind, tuple(parts))
        nesting = NESTING[kind]
        return Geom(kind, self.coords(node.get("coordinates"), nesting, kind))

    def coords(self, value, nesting, kind):
        if nesting == 0:
            if not isinstance(value, list) or len(value) < 2:
                raise CqlError(_("%(type)s coordinates are malformed.") % {"type": kind})
            if len(value) > 2:
                raise CqlError(_("Geometries in a filter must be 2D (no Z or M)."))
            self.budget.vertex()
            return (self.number(value[0]), self.number(value[1]))
        if not isinstance(value, list) or not value:
            raise CqlError(_("%(type)s coordinates are malformed.") % {"type": kind})
        return tuple(self.coords(v, nesting - 1, kind) for v in value)


def parse_json(text: str):
    """Parse a CQL2 JSON filter (as text) into the syntax tree (raises CqlError)."""
    if len(text) > MAX_LENGTH:
        raise CqlError(_("The filter is too long (at most %(n)s characters).") % {"n": MAX_LENGTH})
    try:
        node = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise CqlError(_("The filter is not valid JSON.")) from None
    return _JsonParser().boolean(node)


def _reject_constant(name):
    raise ValueError(name)
