"""Plan progress endpoints and the planners' dashboard."""

import datetime as dt
from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api.params import reject_unknown
from ..registry import registry
from . import svg
from .models import Plan
from .permissions import CanReadPlans, plan_reader_required
from .selectors import plan_default_year, plan_progress, target_detail

STATUS_LABELS = {
    "met": gettext_lazy("Met"),
    "on_track": gettext_lazy("On track"),
    "at_risk": gettext_lazy("At risk"),
    "behind": gettext_lazy("Behind"),
    "missed": gettext_lazy("Not met"),
    "no_data": gettext_lazy("No data"),
}


class BadDate(ValueError):
    """``?today=`` is not a date (a 400 for the API, the pages and the exports alike)."""


def parse_today(value: str | None, *, plan_year: int | None = None) -> dt.date:
    """``?today=`` as a date. When absent: today (local), except for a plan of a past year,
    which is judged on its last day (31 December): a finished plan is read as it ended,
    not as lagging ever further behind. Raises BadDate for anything but a date."""
    if value is None:
        local = timezone.localdate()
        if plan_year is not None and plan_year < local.year:
            return dt.date(plan_year, 12, 31)
        return local
    try:
        parsed = parse_date(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise BadDate(_("today must be a date such as 2023-06-30."))
    return parsed


def _today(query, *, plan_year: int) -> dt.date:
    try:
        return parse_today(query.get("today"), plan_year=plan_year)
    except BadDate as exc:
        raise ValidationError({"today": [str(exc)]}) from None


class ProgressView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanReadPlans]

    @extend_schema(
        tags=["Plans"],
        operation_id="getPlanProgress",
        summary="Progress of every target of the year's plan",
        parameters=[
            OpenApiParameter(
                "today",
                str,
                description="judge as of date; default today, or 31 December for a past "
                "year's plan",
            )
        ],
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def get(self, request, year):
        reject_unknown(request.query_params, {"today"})
        plan = Plan.objects.filter(year=year).prefetch_related("targets").first()
        if plan is None:
            raise NotFound(_("No plan for %(year)s.") % {"year": year})
        today = _today(request.query_params, plan_year=plan.year)
        return Response(
            {
                "plan": {"title": plan.title, "issuing_body": plan.issuing_body, "year": plan.year},
                "today": today,
                "targets": plan_progress(plan=plan, today=today),
            }
        )


class TargetView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanReadPlans]

    @extend_schema(
        tags=["Plans"],
        operation_id="getPlanTarget",
        summary="One target: progress and contributing records (GeoJSON) or readings",
        description=(
            "A metric target returns its progress (with the per-subdistrict breakdown and the "
            "monthly series), the layer of its records and `records`, a GeoJSON "
            "FeatureCollection in EPSG:4326 of the records that count (properties id, code, "
            "name, status, subdistrict, date). A reported indicator returns `readings`: the "
            "latest reading and the trend."
        ),
        parameters=[
            OpenApiParameter(
                "today",
                str,
                description="judge as of date; default today, or 31 December for a past "
                "year's plan",
            )
        ],
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(OpenApiTypes.OBJECT)},
    )
    def get(self, request, year, code):
        reject_unknown(request.query_params, {"today"})
        plan = Plan.objects.filter(year=year).first()
        if plan is None:
            raise NotFound(_("No plan for %(year)s.") % {"year": year})
        target = plan.targets.select_related("plan", "subdistrict").filter(code=code).first()
        if target is None:
            raise NotFound(
                _("The %(year)s plan has no target %(code)s.") % {"year": year, "code": code}
            )
        today = _today(request.query_params, plan_year=plan.year)
        return Response(
            {
                "plan": {"title": plan.title, "issuing_body": plan.issuing_body, "year": plan.year},
                "today": today,
                **target_detail(target, today=today, user=request.user),
            }
        )


def _bad_request(request, message):
    return render(request, "plans/error.html", {"message": message}, status=400)


@plan_reader_required
def plans_index(request):
    """/plans/: the dashboard of this year's plan, else of the latest plan."""
    year = plan_default_year(today=timezone.localdate())
    if year is None:
        raise Http404(_("No plan has been loaded yet."))
    url = reverse("plan-dashboard", kwargs={"year": year})
    return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)


@plan_reader_required
def plan_dashboard(request, year):
    """The planners' dashboard: a card per target, charts, readings, subdistricts."""
    plan = Plan.objects.filter(year=year).first()
    if plan is None:
        raise Http404(_("No plan for %(year)s.") % {"year": year})
    try:
        today = parse_today(request.GET.get("today"), plan_year=plan.year)
    except BadDate as exc:
        return _bad_request(request, str(exc))
    progress = plan_progress(plan=plan, today=today)
    english = (get_language() or "").startswith("en")
    # The overview map judges on the same day (its default for a past plan is the same
    # year end) and speaks the page's language.
    link = {"plan": year, "today": today.isoformat()} if "today" in request.GET else {"plan": year}
    if english:
        link["lang"] = "en"
    year_start = dt.date(plan.year, 1, 1)
    # Through the end of the day judged, as expected_by() counts it (30 June is day 181).
    year_share = ((today - year_start).days + 1) / (dt.date(plan.year + 1, 1, 1) - year_start).days
    cards = [_card(p, english=english, map_query=link, year_share=year_share) for p in progress]
    return render(
        request,
        "plans/dashboard.html",
        {
            "plan": plan,
            "today": today,
            "metric_cards": [c for c in cards if c["kind"] == "metric"],
            "reported_cards": [c for c in cards if c["kind"] != "metric"],
            "table": _subdistrict_table(cards),
            "status_labels": STATUS_LABELS,
            "judged_at_year_end": "today" not in request.GET
            and today == dt.date(plan.year, 12, 31)
            and plan.year < timezone.localdate().year,
        },
    )


def _card(progress, *, english, map_query, year_share):
    """What the template shows for one target (the figures are the API's)."""
    title = progress["title_en"] if english else progress["title_zh"]
    percent = progress["percent"]
    card = {
        **progress,
        "title": title,
        "status_label": STATUS_LABELS[progress["status"]],
        "bar": min(max(percent or 0, 0), 100),
    }
    if progress["kind"] == "metric":
        card["chart"] = svg.progress_chart(
            monthly=progress["monthly"],
            goal=progress["target"],
            unit=progress["unit"],
            label=title,
            year_share=year_share,
        )
        card["today_marked"] = 0 <= year_share <= 1
        # Only the target's own layer (no population grid, no other assets), with its
        # records highlighted and framed; no link at all when no record counts yet.
        card["record_count"] = progress.get("record_count") or 0
        if card["record_count"] and progress.get("layer"):
            query = urlencode({"layer": progress["layer"], **map_query, "target": progress["code"]})
            card["map_url"] = f"{reverse('map')}?{query}"
    else:
        card["trend"] = svg.trend_sparkline(
            readings=progress["readings"], goal=progress["target"], label=title
        )
        layer = registry.get(progress["layer"]) if progress.get("layer") else None
        card["records_title"] = layer.title if layer else ""
    return card


def _subdistrict_table(cards):
    """Rows of subdistricts by columns of district-wide metric targets: actual, and the
    allocation where the plan allocates the target."""
    columns = [c for c in cards if c.get("by_subdistrict") and c["subdistrict"] is None]
    if not columns:
        return None
    rows = []
    for i, first in enumerate(columns[0]["by_subdistrict"]):
        rows.append(
            {
                "code": first["subdistrict_code"],
                "name": first["subdistrict_name"],
                "cells": [c["by_subdistrict"][i] for c in columns],
            }
        )
    return {"columns": columns, "rows": rows}
