"""Exports of the plan progress report: an Excel workbook, a printable page's context and
a self-contained folium map report that works with no network.

Everything is computed by the selectors (nobody types a percentage); this module only
lays the numbers out. Headers are translatable and Chinese by default.
"""

import base64
import datetime as dt
import io
import json
import re
from pathlib import Path

import folium
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.contrib.staticfiles import finders
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from geo_cm.basemaps import basemap_config
from geo_cm.models import District, Subdistrict
from geo_cm.registry import registry
from geo_cm.spreadsheets import xlsx_set

from .models import Plan, ReportedValue, Target
from .registry import metrics
from .selectors import plan_progress, target_records_geojson

COMPARATOR_SIGNS = {">=": "≥", "<=": "≤"}
STATUS_COLOURS = {
    "met": "1a7f37",
    "on_track": "2f6fb0",
    "at_risk": "b26b00",
    "behind": "c0392b",
    "missed": "8e1b10",
    "no_data": "777777",
}
# One colour per metric target on the map report, in code order (cycled).
MAP_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
GEOJSON_PRECISION = 6  # ~0.1 m: plenty for an outline on a printed map


def status_labels() -> dict[str, str]:
    """The progress statuses as shown to people (in the active language)."""
    return {
        "met": _("met"),
        "on_track": _("on track"),
        "at_risk": _("at risk"),
        "behind": _("behind"),
        "missed": _("not met"),
        "no_data": _("no data"),
    }


def _english() -> bool:
    return (get_language() or "").startswith("en")


def report_build(*, plan: Plan, today: dt.date) -> dict:
    """The progress report of ``plan`` judged on ``today``: the plan, the day, every
    target's progress (:func:`plan_progress`), and all readings of reported indicators
    in the plan year up to ``today`` (oldest first, with who reported them)."""
    targets = plan_progress(plan=plan, today=today)
    labels = status_labels()
    for row in targets:
        row["status_label"] = labels.get(row["status"], row["status"])
        row["comparator_sign"] = COMPARATOR_SIGNS.get(row["comparator"], row["comparator"])
        row["title"] = row["title_en"] if _english() and row["title_en"] else row["title_zh"]
    end = min(today, dt.date(plan.year, 12, 31))
    readings = [
        {
            "code": r.target.code,
            "title_zh": r.target.title_zh,
            "unit": r.target.unit,
            "measured_on": r.measured_on,
            "value": float(r.value),
            "scope": r.scope,
            "reported_by": r.reported_by.get_username() if r.reported_by else "",
            "evidence": r.evidence,
        }
        for r in ReportedValue.objects.filter(
            target__plan=plan,
            target__kind=Target.Kind.REPORTED,
            measured_on__gte=dt.date(plan.year, 1, 1),
            measured_on__lte=end,
        )
        .select_related("target", "reported_by")
        .order_by("target__code", "measured_on", "pk")
    ]
    return {"plan": plan, "today": today, "targets": targets, "readings": readings}


# Excel ----------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def _value_format(unit: str, *, fraction: bool = False) -> str:
    """Number format for a value in ``unit``: km to metres, percentages to 0.1."""
    if unit == "km":
        return "#,##0.000"
    if unit == "%":
        return "0.0"
    return "#,##0.0" if fraction else "#,##0"


def _sheet(book: Workbook, title: str, heading: str, report: dict, headers, widths):
    """A sheet with the plan title (row 1), the day judged (row 2) and headers (row 4)."""
    ws = book.create_sheet(title)
    plan = report["plan"]
    # Titles are typed by people: written as text, never as formulas (geo_cm.spreadsheets).
    xlsx_set(ws["A1"], f"{plan.title} — {heading}").font = Font(bold=True, size=13)
    xlsx_set(
        ws["A2"],
        _("%(body)s · as of %(date)s")
        % {"body": plan.issuing_body, "date": report["today"].isoformat()},
    )
    for col, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = xlsx_set(ws.cell(row=4, column=col), header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = "A5"
    # Printed on A4 landscape, as wide as the page; the table repeats its header row.
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    return ws


HEADER_ROW = 4  # tests and readers find the table here


def _write(ws, row: int, values, formats=None):
    for col, value in enumerate(values, start=1):
        # Text typed by people (readings' scope and evidence, titles): characters a
        # workbook cannot hold are dropped, and "=..." stays text, never a formula.
        cell = xlsx_set(ws.cell(row=row, column=col), value)
        fmt = (formats or {}).get(col)
        if fmt and value is not None:
            cell.number_format = fmt


def report_xlsx(report: dict) -> bytes:
    """The report as an .xlsx workbook: targets, per subdistrict, monthly cumulative and
    readings of reported indicators, with number formats in each target's unit."""
    book = Workbook()
    book.remove(book.active)
    labels = status_labels()

    ws = _sheet(
        book,
        _("Targets"),
        _("Progress of the targets"),
        report,
        [
            _("Code"),
            _("Title"),
            _("Section"),
            _("Unit"),
            _("Target"),
            _("Comparator"),
            _("Actual"),
            _("Percent"),
            _("Expected by today"),
            _("Status"),
        ],
        [8, 30, 16, 8, 12, 10, 12, 10, 14, 12],
    )
    for i, t in enumerate(report["targets"], start=HEADER_ROW + 1):
        unit = t["unit"]
        _write(
            ws,
            i,
            [
                t["code"],
                t["title_zh"],
                t["section"],
                unit,
                t["target"],
                t["comparator_sign"],
                t["actual"],
                t["percent"] / 100 if t["percent"] is not None else None,
                t["expected_by_today"],
                labels.get(t["status"], t["status"]),
            ],
            {
                5: _value_format(unit),
                7: _value_format(unit),
                8: "0.0%",
                9: _value_format(unit, fraction=True),
            },
        )
        ws.cell(row=i, column=10).font = Font(color=STATUS_COLOURS.get(t["status"], "000000"))

    ws = _sheet(
        book,
        _("By subdistrict"),
        _("Targets by subdistrict"),
        report,
        [
            _("Code"),
            _("Title"),
            _("Unit"),
            _("Subdistrict code"),
            _("Subdistrict"),
            _("Allocation"),
            _("Actual"),
        ],
        [8, 30, 8, 16, 16, 12, 12],
    )
    row = HEADER_ROW + 1
    for t in report["targets"]:
        fmt = _value_format(t["unit"])
        for s in t.get("by_subdistrict") or []:
            _write(
                ws,
                row,
                [
                    t["code"],
                    t["title_zh"],
                    t["unit"],
                    s["subdistrict_code"],
                    s["subdistrict_name"],
                    s["allocation"],
                    s["actual"],
                ],
                {6: fmt, 7: fmt},
            )
            row += 1

    ws = _sheet(
        book,
        _("Monthly"),
        _("Cumulative progress by month"),
        report,
        [_("Code"), _("Title"), _("Unit"), _("Month"), _("Cumulative"), _("Expected")],
        [8, 30, 8, 10, 12, 12],
    )
    row = HEADER_ROW + 1
    year = report["plan"].year
    for t in report["targets"]:
        fmt = _value_format(t["unit"])
        for m in t.get("monthly") or []:
            _write(
                ws,
                row,
                [
                    t["code"],
                    t["title_zh"],
                    t["unit"],
                    dt.date(year, m["month"], 1),
                    m["cumulative"],
                    m["expected"],
                ],
                {4: "yyyy-mm", 5: fmt, 6: _value_format(t["unit"], fraction=True)},
            )
            row += 1

    ws = _sheet(
        book,
        _("Readings"),
        _("Readings of reported indicators"),
        report,
        [
            _("Code"),
            _("Title"),
            _("Unit"),
            _("Measured on"),
            _("Value"),
            _("Scope"),
            _("Reported by"),
            _("Evidence"),
        ],
        [8, 30, 8, 12, 10, 20, 14, 40],
    )
    for i, r in enumerate(report["readings"], start=HEADER_ROW + 1):
        _write(
            ws,
            i,
            [
                r["code"],
                r["title_zh"],
                r["unit"],
                r["measured_on"],
                r["value"],
                r["scope"],
                r["reported_by"],
                r["evidence"],
            ],
            {4: "yyyy-mm-dd", 5: _value_format(r["unit"])},
        )

    for sheet in book.worksheets:
        if sheet.max_row > HEADER_ROW:
            sheet.auto_filter.ref = (
                f"A{HEADER_ROW}:{get_column_letter(sheet.max_column)}{sheet.max_row}"
            )
    book.properties.title = report["plan"].title
    book.properties.creator = "GeoCM"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Printable page ---------------------------------------------------------------------------

MONTHS = range(1, 13)


def format_value(value, unit: str, *, fraction: bool = False) -> str:
    """A value for people: km to the metre, percentages to 0.1, counts whole (to 0.1
    when ``fraction``, for expected values), thousands grouped, no trailing zeros."""
    if value is None:
        return "—"
    digits = 3 if unit == "km" else 1 if unit == "%" or fraction else 0
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def report_print_context(report: dict) -> dict:
    """Template context for the printable page: the report with display texts, the
    subdistrict matrix (one row per subdistrict, one column per metric target: actual,
    and the allocation where one exists) and the monthly cumulative values."""
    targets = []
    for t in report["targets"]:
        unit = t["unit"]
        targets.append(
            {
                **t,
                "target_text": format_value(t["target"], unit),
                "actual_text": format_value(t["actual"], unit),
                "expected_text": format_value(t["expected_by_today"], unit, fraction=True),
                "monthly_text": [
                    {
                        "cumulative": format_value(m["cumulative"], unit)
                        if m["cumulative"] is not None
                        else None,
                        "expected": format_value(m["expected"], unit),
                    }
                    for m in t.get("monthly") or []
                ],
            }
        )
    metric_targets = [t for t in targets if t["kind"] == Target.Kind.METRIC]
    columns = [t for t in metric_targets if t.get("by_subdistrict")]
    names, cells = {}, {}
    for i, t in enumerate(columns):
        for s in t["by_subdistrict"]:
            names[s["subdistrict_code"]] = s["subdistrict_name"]
            text = format_value(s["actual"], t["unit"])
            if s["allocation"] is not None:
                text += f" / {format_value(s['allocation'], t['unit'])}"
            cells[(s["subdistrict_code"], i)] = text
    matrix = [
        {"name": names[code], "cells": [cells.get((code, i), "") for i in range(len(columns))]}
        for code in sorted(names)
    ]
    readings = [
        {**r, "value_text": format_value(r["value"], r["unit"])} for r in report["readings"]
    ]
    return {
        **report,
        "targets": targets,
        "readings": readings,
        "metric_targets": metric_targets,
        "breakdown_columns": columns,
        "breakdown_rows": matrix,
        "months": list(MONTHS),
    }


# Map report -------------------------------------------------------------------------------


def _static_text(path: str) -> str:
    found = finders.find(path)
    if found is None:
        raise FileNotFoundError(f"Static file {path} is not installed (django-leaflet).")
    return Path(found).read_text(encoding="utf-8")


def _leaflet_css() -> str:
    """Leaflet's stylesheet with its images inlined as data: URIs (no file is fetched)."""
    css = _static_text("leaflet/leaflet.css")

    def inline(match):
        found = finders.find(f"leaflet/{match.group(1)}")
        if found is None:
            return "none"
        data = base64.b64encode(Path(found).read_bytes()).decode("ascii")
        return f'url("data:image/png;base64,{data}")'

    return re.sub(r"url\((images/[\w@.-]+\.png)\)", inline, css)


def _add_basemap(fmap: folium.Map) -> None:
    """The configured basemap (settings.GEOCM["BASEMAP"]); none for offline use."""
    config = basemap_config()
    if config is None:
        return
    extra = {"subdomains": config["subdomains"]} if "subdomains" in config else {}
    folium.TileLayer(
        tiles=config["url"],
        attr=config["attribution"],
        max_zoom=config["maxZoom"],
        name=_("Basemap"),
        control=False,
        **extra,
    ).add_to(fmap)
    if "labels" in config:
        folium.TileLayer(
            tiles=config["labels"],
            attr=config["attribution"],
            max_zoom=config["maxZoom"],
            name=_("Labels"),
            control=False,
            overlay=True,
            **extra,
        ).add_to(fmap)


def _as_text(collection: dict) -> dict:
    """The collection with every string property HTML-escaped: folium's tooltips put
    properties into the page as HTML, and names come from the database."""
    for feature in collection["features"]:
        feature["properties"] = {
            k: escape(v) if isinstance(v, str) else v for k, v in feature["properties"].items()
        }
    return collection


def _outline_geojson(queryset, properties) -> dict:
    rows = queryset.annotate(_gj=AsGeoJSON("geom", precision=GEOJSON_PRECISION)).values(
        "_gj", *properties
    )
    return _as_text(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": json.loads(r["_gj"]),
                    "properties": {p: r[p] for p in properties},
                }
                for r in rows
            ],
        }
    )


def _panel(report: dict) -> str:
    """The heading box: plan title, the day judged and each target's progress."""
    labels = status_labels()
    rows = "".join(
        "<tr><td>{code}</td><td>{title}</td><td class='n'>{actual}</td>"
        "<td class='n'>{sign} {target}</td><td style='color:#{colour}'>{status}</td></tr>".format(
            code=escape(t["code"]),
            title=escape(t["title_zh"]),
            actual=escape("—" if t["actual"] is None else f"{t['actual']:g}"),
            sign=escape(t["comparator_sign"]),
            target=escape(f"{t['target']:g} {t['unit']}"),
            colour=STATUS_COLOURS.get(t["status"], "000000"),
            status=escape(labels.get(t["status"], t["status"])),
        )
        for t in report["targets"]
        if t["kind"] == Target.Kind.METRIC
    )
    plan = report["plan"]
    return (
        "<div id='geocm-report-panel'><h1>{title}</h1><p>{body} · {asof}</p>"
        "<table><tr><th>{h_code}</th><th>{h_title}</th><th>{h_actual}</th>"
        "<th>{h_target}</th><th>{h_status}</th></tr>{rows}</table>"
        "<p class='note'>{note}</p></div>"
    ).format(
        title=escape(plan.title),
        body=escape(plan.issuing_body),
        asof=escape(_("as of %(date)s") % {"date": report["today"].isoformat()}),
        h_code=escape(_("Code")),
        h_title=escape(_("Title")),
        h_actual=escape(_("Actual")),
        h_target=escape(_("Target")),
        h_status=escape(_("Status")),
        rows=rows,
        note=escape(_("Each layer shows the records that make up the target's actual.")),
    )


PANEL_CSS = """
#geocm-report-panel{position:absolute;top:10px;left:54px;z-index:1000;max-width:460px;
max-height:45%;overflow:auto;background:rgba(255,255,255,.94);padding:6px 10px;
font:12px/1.4 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;border-radius:4px;
box-shadow:0 1px 4px rgba(0,0,0,.3)}
#geocm-report-panel h1{font-size:14px;margin:0 0 2px}
#geocm-report-panel p{margin:0 0 4px}
#geocm-report-panel table{border-collapse:collapse}
#geocm-report-panel td,#geocm-report-panel th{padding:1px 6px;text-align:left}
#geocm-report-panel td.n{text-align:right;white-space:nowrap}
#geocm-report-panel .note{color:#555;margin-top:4px}
"""


def map_report_html(report: dict, *, user=None) -> str:
    """A self-contained HTML map of the records behind each metric target, with the
    district and subdistrict outlines (EPSG:4326). Leaflet and its stylesheet are inlined
    from django-leaflet's static files and folium's other CDN assets are dropped, so the
    file opens with no network; tiles come only from the configured basemap ("none":
    no tiles at all)."""
    plan = report["plan"]
    fmap = folium.Map(location=(32.05, 118.6), zoom_start=11, tiles=None, control_scale=True)
    # folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs by default;
    # nothing used here needs more than Leaflet, which is inlined below.
    fmap.default_js = []
    fmap.default_css = []
    root = fmap.get_root()
    root.header.add_child(folium.Element(f"<style>{_leaflet_css()}</style>"), name="leaflet_css")
    root.header.add_child(
        folium.Element(f"<script>{_static_text('leaflet/leaflet.js')}</script>"), name="leaflet"
    )
    root.header.add_child(folium.Element(f"<style>{PANEL_CSS}</style>"), name="geocm_panel_css")
    root.header.add_child(
        folium.Element(f"<title>{escape(plan.title)} {plan.year}</title>"), name="title"
    )
    _add_basemap(fmap)

    district = District.objects.order_by("code")
    if district.exists():
        folium.GeoJson(
            _outline_geojson(Subdistrict.objects.order_by("code"), ["code", "name"]),
            name=_("Subdistricts"),
            style_function=lambda f: {
                "color": "#777",
                "weight": 1,
                "dashArray": "4 3",
                "fill": False,
            },
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
        ).add_to(fmap)
        outline = _outline_geojson(district, ["code", "name"])
        folium.GeoJson(
            outline,
            name=_("District boundary"),
            style_function=lambda f: {"color": "#333", "weight": 2.5, "fill": False},
        ).add_to(fmap)
        xmin, ymin, xmax, ymax = district.first().geom.extent
        fmap.fit_bounds([[ymin, xmin], [ymax, xmax]])

    fields = ["code", "name", "status", "subdistrict_name", "date"]
    aliases = [_("Code"), _("Name"), _("Status"), _("Subdistrict"), _("Date")]
    colour_index = 0
    for t in report["targets"]:
        if t["kind"] != Target.Kind.METRIC:
            continue
        target = report["plan"].targets.get(code=t["code"])
        metric = metrics.get(target.metric_key)
        layer = registry.get(metric.layer) if metric else None
        if user is not None and layer is not None and not layer.visible_to(user):
            continue  # records of a layer this user may not see stay out (as in the API)
        text = target_records_geojson(target, today=report["today"])
        if text is None:
            continue
        data = _as_text(json.loads(text))
        colour = MAP_COLOURS[colour_index % len(MAP_COLOURS)]
        colour_index += 1
        swatch = f"<span style='color:{colour}'>&#9632;</span>"
        group = folium.FeatureGroup(
            name=f"{swatch} {escape(t['code'])} {escape(t['title_zh'])} ({len(data['features'])})"
        )
        if data["features"]:
            folium.GeoJson(
                data,
                marker=folium.CircleMarker(
                    radius=5, color=colour, weight=1.5, fill=True, fill_opacity=0.7
                ),
                style_function=lambda f, c=colour: {"color": c, "weight": 4, "fillColor": c},
                tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases),
            ).add_to(group)
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    root.html.add_child(folium.Element(_panel(report)), name="geocm_panel")
    return root.render()
