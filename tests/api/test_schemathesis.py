"""The OpenAPI document tells the truth: schemathesis against a live server (127.0.0.1).

Two bounded runs (anonymous, and GIS staff with an API token) of the examples, coverage
and fuzzing phases over every operation in /api/schema/, with the checks: no server error
(5xx), every status and every content type answered is documented for its operation.
The requests are recorded (HAR) and counted here as well, so the figures do not depend
on how schemathesis summarises.
"""

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rest_framework.authtoken.models import Token

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
# Seconds per run (two runs): the whole test stays under two minutes, the suite under ten.
SECONDS = int(os.environ.get("GEOCM_SCHEMATHESIS_SECONDS", "30"))
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance"


@pytest.fixture
def world(areas, gis_user):
    factories.toilet("GC-S1")
    factories.light("LD-S1")
    factories.segment("GW-S1")
    factories.facility("TC-S1")
    return Token.objects.create(user=gis_user).key


def schemathesis_run(base: str, har: Path, *headers: str):
    command = [
        SCHEMATHESIS,
        "run",
        f"{base}/api/schema/",
        "--checks",
        CHECKS,
        "--max-time",
        str(SECONDS),
        "--workers",
        "1",
        "--seed",
        "20261130",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "30",
        "--no-color",
        "--report",
        "har",
        "--report-har-path",
        str(har),
    ]
    # One connection per request: live_server is Django's development server, and on a
    # kept-alive connection it once read a previous request's leftovers as the next request
    # line and answered with its own HTML error page, which schemathesis reported as a
    # network error on an unrelated, ordinary POST. The application is what is under test.
    for header in ("Connection: close", *headers):
        command += ["--header", header]
    # Run in the report's folder: schemathesis keeps its own files beside it.
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=SECONDS * 4 + 120, cwd=har.parent
    )
    entries = json.loads(har.read_text())["log"]["entries"] if har.exists() else []
    return done, entries


def summary(entries) -> str:
    statuses = Counter(e["response"]["status"] for e in entries)
    return f"{len(entries)} requests, statuses {dict(sorted(statuses.items()))}"


def operations(schema: dict) -> list:
    """(method, path regex, documented statuses, documented content types) per operation."""
    found = []
    for template, item in schema["paths"].items():
        parts = re.split(r"(\{[^}]+\})", template)
        pattern = re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            types = {t for r in responses.values() for t in r.get("content", {})}
            found.append((method.upper(), pattern, set(responses), types))
    return found


def audit(entries, schema) -> dict:
    """Every recorded answer against the document, independently of schemathesis."""
    known = operations(schema)
    result = {"requests": len(entries), "server errors": 0, "undocumented status": [],
              "undocumented content type": [], "method not in the document": Counter(),
              "not answered": 0}  # fmt: skip
    for entry in entries:
        method, url = entry["request"]["method"], entry["request"]["url"]
        status = entry["response"]["status"]
        if status == 0:
            # Recorded without an answer: cut off when the run's time budget ran out (a
            # request the server left hanging is a network error, which fails the run).
            result["not answered"] += 1
            continue
        mime = (entry["response"]["content"].get("mimeType") or "").split(";")[0].strip()
        result["server errors"] += status >= 500
        path = urlsplit(url).path
        matches = [op for op in known if op[0] == method and op[1].fullmatch(path)]
        if not matches:
            result["method not in the document"][f"{status}"] += 1
            continue
        if not any(str(status) in op[2] or "default" in op[2] for op in matches):
            result["undocumented status"].append((method, path, status))
        elif (
            mime
            and entry["response"]["content"].get("size", 0)
            and not any(mime in op[3] for op in matches)
        ):
            result["undocumented content type"].append((method, path, status, mime))
    return result


@pytest.mark.parametrize("who", ["anonymous", "gis-staff"])
def test_every_answer_is_documented_and_none_is_a_server_error(live_server, world, tmp_path, who):
    headers = [] if who == "anonymous" else [f"Authorization: Token {world}"]
    done, entries = schemathesis_run(live_server.url, tmp_path / f"{who}.har", *headers)
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json") as response:
        schema = json.load(response)
    found = audit(entries, schema)
    # The figures for the notes (pytest -s prints them).
    print(f"schemathesis {who}: {summary(entries)}; audit: {found}")
    print(done.stdout[done.stdout.rfind("SUMMARY") :])
    assert entries, done.stdout[-3000:] + done.stderr[-3000:]
    assert found["server errors"] == 0, [
        (e["request"]["method"], e["request"]["url"])
        for e in entries
        if e["response"]["status"] >= 500
    ][:5]
    assert found["undocumented status"] == [], found["undocumented status"][:10]
    assert found["undocumented content type"] == [], found["undocumented content type"][:10]
    assert done.returncode == 0, done.stdout[-12000:]
