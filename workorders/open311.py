"""The Open311 GeoReport v2 face of the work orders: field names, formats and errors.

GeoReport v2 names every field and its order; responses come as JSON (a list) or XML
(a root element holding one element per item), chosen by the URL's ``.json``/``.xml``.
Errors are a list of ``{code, description}`` (``<errors><error>`` in XML) with the HTTP
status equal to ``code``. Times are ISO 8601 with the +08:00 offset (Asia/Shanghai).

The public (no credentials) gets no description, address, photo link or reporter data,
and a location rounded to about 10 m (100 m for reports that may be at a home); staff
holding ``workorders.view_workorder`` get everything but the reporter's contact.
"""

import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .deadlines import resolve_due
from .models import OPEN_STATUSES, Category, Channel, Datum, WorkOrder

SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# GeoReport's two statuses: closed once the problem was dealt with (or the order returned).
OPEN311_OPEN = tuple(str(s) for s in OPEN_STATUSES)
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
# Categories whose reports may be made at someone's door: their public points are coarser.
COARSE = {Category.SANITATION, Category.OTHER}
GROUPS = {
    Category.STREET_LIGHT: _("Lighting"),
    Category.TOILET: _("Sanitation"),
    Category.SANITATION: _("Sanitation"),
    Category.PARKING: _("Parking"),
    Category.ROAD: _("Roads and streets"),
    Category.ALLEY: _("Roads and streets"),
    Category.GREENWAY: _("Parks and greenways"),
    Category.OTHER: _("Other"),
}
# Words citizens type when looking for the service (Chinese: the words they use).
KEYWORDS = {
    Category.STREET_LIGHT: "路灯,不亮,灯杆,暗",
    Category.TOILET: "公厕,厕所,卫生间",
    Category.PARKING: "停车,车位,乱停",
    Category.ROAD: "道路,坑洼,井盖,破损",
    Category.ALLEY: "背街小巷,街巷",
    Category.GREENWAY: "绿道,步道",
    Category.SANITATION: "垃圾,保洁,环卫",
    Category.OTHER: "其他",
}
# Characters XML 1.0 cannot hold (C0 controls other than tab, newline, carriage return).
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Open311Error(Exception):
    """An error answered in GeoReport's format: HTTP status ``code`` and a sentence."""

    def __init__(self, code: int, description: str):
        super().__init__(description)
        self.code = code
        self.description = description


def iso(value):
    """An instant as ISO 8601 with the local offset (2023-05-01T09:30:00+08:00), or None."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def service_list() -> list[dict]:
    """GET services: one service per category (the code is stable, the name translated)."""
    return [
        {
            "service_code": code,
            "service_name": str(label),
            "description": str(label),
            "metadata": True,
            "type": "realtime",
            "keywords": KEYWORDS[code],
            "group": str(GROUPS[code]),
        }
        for code, label in Category.choices
    ]


def service_definition(code: str) -> dict:
    """GET services/{code}: the optional attributes a POST may carry."""
    channels = [{"key": c, "name": str(n)} for c, n in Channel.choices if c != Channel.FIELD]
    datums = [{"key": d, "name": str(n)} for d, n in Datum.choices]
    return {
        "service_code": code,
        "attributes": [
            {
                "variable": True,
                "code": "channel",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": gettext("12345, 12319 or web (default web)"),
                "order": 1,
                "description": gettext(
                    "How the report arrived: a hotline system sends its hotline's number."
                ),
                "values": channels,
            },
            {
                "variable": True,
                "code": "datum",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": gettext(
                    "wgs84 (default), gcj02 (Amap, Tencent) or bd09 (Baidu)"
                ),
                "order": 2,
                "description": gettext("The datum of lat and long."),
                "values": datums,
            },
        ],
    }


def public_point(order: WorkOrder) -> tuple[float, float]:
    """(lat, long) for anyone: rounded to 4 decimals (~10 m), 3 (~100 m) for reports that
    may be at someone's home (sanitation, other)."""
    places = 3 if order.category in COARSE else 4
    return round(order.geom.y, places), round(order.geom.x, places)


def status_notes(order: WorkOrder) -> str | None:
    if order.status == "rejected":
        return order.rejection_reason or None
    return order.resolution or order.reply or None


def request_record(order: WorkOrder, *, full: bool) -> dict:
    """One service request in GeoReport v2's fields and order. ``full``: staff detail."""
    if full:
        lat, lon = round(order.geom.y, 7), round(order.geom.x, 7)
    else:
        lat, lon = public_point(order)
    team = order.team or order.subdistrict
    is_open = order.status in OPEN311_OPEN
    return {
        "service_request_id": order.code,
        "status": "open" if is_open else "closed",
        "status_notes": status_notes(order),
        "service_name": str(order.get_category_display()),
        "service_code": order.category,
        "description": (order.description or None) if full else None,
        "agency_responsible": team.name if team else None,
        "service_notice": None,
        "requested_datetime": iso(order.received_at),
        "updated_datetime": iso(order.updated_at),
        "expected_datetime": iso(resolve_due(order)) if is_open else None,
        "address": (order.address or None) if full else None,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": (order.media_url or None) if full else None,
    }


def _xml_text(value) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return _XML_BAD.sub("", str(value))


def _xml_fill(element, value):
    if isinstance(value, dict):
        for key, inner in value.items():
            _xml_fill(ET.SubElement(element, key), inner)
    elif isinstance(value, list):
        # GeoReport's nested lists: attributes/attribute, values/value.
        child = {"attributes": "attribute", "values": "value"}.get(element.tag, "item")
        for inner in value:
            _xml_fill(ET.SubElement(element, child), inner)
    elif value is not None:
        element.text = _xml_text(value)


def render(data, *, fmt: str, root: str = "", item: str = "", status: int = 200) -> HttpResponse:
    """``data`` (a list of dicts, or one dict) as JSON, or as XML under ``root`` with one
    ``item`` element per list entry."""
    if fmt == "xml":
        top = ET.Element(root)
        if isinstance(data, list):
            for entry in data:
                _xml_fill(ET.SubElement(top, item), entry)
        else:
            _xml_fill(top, data)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode")
    else:
        body = json.dumps(data, ensure_ascii=False)
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def render_error(error: Open311Error, *, fmt: str) -> HttpResponse:
    """GeoReport's error answer: ``[{code, description}]`` / ``<errors><error>``."""
    entry = {"code": error.code, "description": error.description}
    return render([entry], fmt=fmt, root="errors", item="error", status=error.code)
