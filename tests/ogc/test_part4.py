"""Part 4 (Create, Replace, Update, Delete) walked as the standard's examples do, over HTTP.

A plain HTTP client against a live server: discover the capability (conformance and the
OpenAPI document), then POST, GET, PUT, PATCH (JSON merge patch) and DELETE one feature
with the media types, ETag/If-Match and Location the standard shows, as GIS staff. The
roles, the state machine and the history are checked on the way.
"""

import base64
import json
import urllib.error
import urllib.request

import pytest

from geo_cm.models import ChangeRecord
from toilets.models import Toilet

pytestmark = pytest.mark.django_db(transaction=True)

PART4 = "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/"


class Http:
    """Just enough of an HTTP client: returns (status, headers, parsed body)."""

    def __init__(self, base, user=None):
        self.base = base
        self.auth = (
            {"Authorization": "Basic " + base64.b64encode(f"{user}:pw-{user}".encode()).decode()}
            if user
            else {}
        )

    def __call__(self, method, path, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            path if path.startswith("http") else self.base + path,
            data=data,
            method=method,
            headers={**self.auth, **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, response.headers, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            return exc.code, exc.headers, json.loads(raw) if raw else None


def _utf8_header(text):
    """A header value sent as UTF-8 bytes, as curl or QGIS send one."""
    return text.encode().decode("latin-1")


TOILET = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [118.62, 32.05]},
    "properties": {
        "code": "GC-P4",
        "name": "第四部分公厕",
        "category": "city",
        "status": "planned",
        "managing_unit": "江浦环卫所",
    },
}


def test_the_standards_examples_step_by_step(live_server, gis_user, planner_user, areas):
    anon, planner, gis = (
        Http(live_server.url),
        Http(live_server.url, "planner"),
        Http(live_server.url, "gis"),
    )

    # Discover: the conformance classes and, in the API definition, the operations.
    status, _h, conformance = anon("GET", "/ogc/conformance")
    for name in ("create-replace-delete", "update", "optimistic-locking-etags", "features"):
        assert PART4 + name in conformance["conformsTo"]
    _s, _h, api = anon("GET", "/api/schema/?format=json")
    items = api["paths"]["/ogc/collections/{collection_id}/items"]
    item = api["paths"]["/ogc/collections/{collection_id}/items/{feature_id}"]
    assert "application/geo+json" in items["post"]["requestBody"]["content"]
    assert "application/merge-patch+json" in item["patch"]["requestBody"]["content"]
    assert {"put", "delete"} <= set(item)

    # Create: POST the feature; 201 with its Location. Roles first: no anonymous writes.
    headers = {"Content-Type": "application/geo+json"}
    assert anon("POST", "/ogc/collections/toilets/items", TOILET, headers)[0] == 401
    assert planner("POST", "/ogc/collections/toilets/items", TOILET, headers)[0] == 403
    status, h, created = gis("POST", "/ogc/collections/toilets/items", TOILET, headers)
    assert status == 201, created
    location = h["Location"]
    assert location.endswith(f"/ogc/collections/toilets/items/{created['id']}")

    # Read it back: the representation and its ETag.
    status, h, feature = gis("GET", location, headers={"Accept": "application/geo+json"})
    assert status == 200 and feature["properties"]["code"] == "GC-P4"
    etag = h["ETag"]

    # Replace: PUT the whole feature with If-Match. A property left out returns to its
    # default (managing_unit), and the status only moves as the state machine allows.
    replacement = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [118.63, 32.06]},
        "properties": {
            "code": "GC-P4",
            "name": "已替换",
            "category": "city",
            "status": "under_construction",
        },
    }
    status, h, replaced = gis(
        "PUT",
        location,
        replacement,
        {**headers, "If-Match": etag, "X-Change-Note": _utf8_header("整体替换")},
    )
    assert status == 200, replaced
    assert replaced["properties"]["managing_unit"] == ""
    assert replaced["geometry"]["coordinates"] == [118.63, 32.06]
    new_etag = h["ETag"]
    assert new_etag != etag
    # The old ETag is stale now: 412 and nothing changes.
    status, _h, body = gis("PUT", location, TOILET, {**headers, "If-Match": etag})
    assert status == 412 and body["code"] == "PreconditionFailed"

    # Update: a JSON merge patch changes only what it names; null clears a value.
    patch_headers = {"Content-Type": "application/merge-patch+json", "If-Match": new_etag}
    status, h, patched = gis(
        "PATCH", location, {"properties": {"status": "open", "address": None}}, patch_headers
    )
    assert status == 200, patched
    assert patched["properties"]["status"] == "open"
    assert patched["properties"]["name"] == "已替换" and patched["properties"]["address"] == ""
    # The state machine still guards: open -> planned is refused with the field named.
    status, _h, body = gis(
        "PATCH",
        location,
        {"properties": {"status": "planned"}},
        {"Content-Type": "application/merge-patch+json", "If-Match": h["ETag"]},
    )
    assert status == 400 and "status" in body["errors"]

    # Delete with If-Match: 204, then the feature is gone and its history remains.
    status, h, _b = gis("GET", location)
    assert planner("DELETE", location)[0] == 403
    assert gis("DELETE", location, headers={"If-Match": h["ETag"]})[0] == 204
    assert gis("GET", location)[0] == 404
    assert not Toilet.objects.filter(code="GC-P4").exists()
    actions = list(
        ChangeRecord.objects.filter(object_code="GC-P4")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update", "status", "delete"]
    replace = ChangeRecord.objects.get(object_code="GC-P4", action="update")
    assert replace.note == "整体替换" and replace.user.username == "gis"
    assert replace.changes["managing_unit"] == ["江浦环卫所", ""]
