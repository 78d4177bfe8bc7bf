"""Coverage endpoints and the planners' coverage map."""

import datetime as dt
import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ..api.params import reject_unknown
from ..basemaps import basemap_config
from ..jobs.models import Job
from ..models import Subdistrict
from ..registry import registry
from . import engine
from .models import PopulationArea
from .overlays import overlays
from .tasks import coverage_job_args, coverage_job_for

ERROR = OpenApiResponse(OpenApiTypes.OBJECT, description="{code, description, errors}")
PARAMS = [
    OpenApiParameter("mode", str, enum=list(engine.MODES)),
    OpenApiParameter("radius", float, description="metres; default: the layer's rule"),
    OpenApiParameter("subdistrict", str, description="subdistrict code (current or former)"),
]


def _coverage_layer(request, slug):
    layer = registry.get(slug)
    if layer is None or layer.coverage is None or not layer.is_staff_reader(request.user):
        raise NotFound(_("No coverage analysis for '%(id)s'.") % {"id": slug})
    return layer


def _common(query):
    mode = query.get("mode", "straight")
    if mode not in engine.MODES:
        raise ValidationError({"mode": [_("mode must be straight or network.")]})
    radius = query.get("radius")
    if radius is not None:
        try:
            radius = float(radius)
        except ValueError:
            raise ValidationError({"radius": [_("radius must be a number of metres.")]}) from None
        if not 10 <= radius <= 5000:
            raise ValidationError({"radius": [_("radius must be between 10 and 5000 m.")]})
    code = query.get("subdistrict")
    subdistrict = None
    if code is not None:
        subdistrict = (
            Subdistrict.objects.filter(code=code).first()
            or Subdistrict.objects.filter(code_old=code).first()
        )
        if subdistrict is None:
            raise ValidationError(
                {"subdistrict": [_("Unknown subdistrict code '%(code)s'.") % {"code": code}]}
            )
    return mode, radius, subdistrict


class CoverageView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=["Coverage"],
        operation_id="getCoverage",
        summary="Coverage stats and gap polygons (GeoJSON) for a layer",
        description=(
            "200 with the answer when it is cached for the current data. Otherwise 202 at "
            "once with {status: computing, job: {id, status, progress, message}}: the job "
            "worker computes it; ask again (without refresh) until the answer is 200. "
            "refresh=1 queues a new computation even when an answer is cached."
        ),
        parameters=[*PARAMS, OpenApiParameter("refresh", str, enum=["1"])],
        responses={200: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR},
    )
    def get(self, request, layer):
        lay = _coverage_layer(request, layer)
        reject_unknown(request.query_params, {"mode", "radius", "subdistrict", "refresh"})
        mode, radius, subdistrict = _common(request.query_params)
        refresh = request.query_params.get("refresh") == "1"
        result = None
        try:
            if not refresh:
                result = engine.coverage_cached(
                    layer_slug=lay.slug, mode=mode, distance_m=radius, subdistrict=subdistrict
                )
        except engine.CoverageError as exc:
            raise ValidationError({"layer": [str(exc)]}) from exc
        if result is None:
            # A request never waits for an analysis (minutes at a city's size; gunicorn
            # would kill the worker while its query ran on): the job worker computes it.
            return _computing(request, lay, mode, radius, subdistrict, refresh)
        return Response(
            {
                "layer": lay.slug,
                "mode": result.mode,
                "distance_m": result.distance_m,
                "subdistrict": subdistrict.code if subdistrict else None,
                "data_version": result.data_version,
                "computed_at": result.computed_at,
                "seconds": round(result.seconds, 3),
                "stats": result.stats,
                "features": _raw(result.geojson),
            }
        )


# A job for the same question that failed this recently is reported, not queued again.
FAILED_REPORT_SECONDS = 60


def _computing(request, lay, mode, radius, subdistrict, refresh):
    """202 with the job computing this answer (queued now when none is under way)."""
    args = coverage_job_args(
        layer=lay.slug,
        mode=mode,
        distance_m=radius,
        subdistrict=subdistrict.code if subdistrict else None,
        refresh=refresh,
    )
    latest = Job.objects.filter(name="coverage.refresh", args=args).order_by("-created_at").first()
    recent = timezone.now() - dt.timedelta(seconds=FAILED_REPORT_SECONDS)
    if latest is not None and latest.status == Job.Status.FAILED and latest.created_at > recent:
        return Response(
            {
                "code": "ComputationFailed",
                "description": _("The analysis failed: %(message)s") % {"message": latest.message},
                "job": _job_state(latest),
            },
            status=500,
        )
    job = coverage_job_for(args=args, by=request.user)
    return Response(
        {"layer": lay.slug, "mode": mode, "status": "computing", "job": _job_state(job)},
        status=202,
    )


def _job_state(job):
    return {
        "id": job.pk,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "url": reverse("job", kwargs={"pk": job.pk}),
    }


def _raw(text):
    return json.loads(text)


class ProposalView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        tags=["Coverage"],
        operation_id="proposeSites",
        summary="K new sites that would cover the most uncovered people",
        parameters=[
            *PARAMS,
            OpenApiParameter("k", int),
            OpenApiParameter("candidates", str, description="a layer of candidate sites"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR},
    )
    def get(self, request, layer):
        lay = _coverage_layer(request, layer)
        query = request.query_params
        reject_unknown(query, {"mode", "radius", "subdistrict", "k", "candidates"})
        mode, radius, subdistrict = _common(query)
        try:
            k = int(query.get("k", "10"))
        except ValueError:
            raise ValidationError({"k": [_("k must be a whole number.")]}) from None
        if not 1 <= k <= 100:
            raise ValidationError({"k": [_("k must be between 1 and 100.")]})
        candidates = query.get("candidates")
        if candidates is not None and registry.get(candidates) is None:
            raise ValidationError(
                {"candidates": [_("Unknown layer '%(id)s'.") % {"id": candidates}]}
            )
        try:
            return Response(
                engine.sites_propose(
                    layer_slug=lay.slug,
                    k=k,
                    mode=mode,
                    distance_m=radius,
                    candidates_layer=candidates,
                    subdistrict=subdistrict,
                )
            )
        except engine.CoverageError as exc:
            raise ValidationError({"layer": [str(exc)]}) from exc


def _rule_config(layer) -> dict:
    """The layer's rule as the page states it: distances in metres, the kinds of demand
    with their own distance (labelled), and the standard or source (in the page's language
    when it is the layer's own; a planner's CoverageRule text as typed)."""
    rule = engine.rule_for(layer_slug=layer.slug)
    kinds = dict(PopulationArea.Kind.choices)
    return {
        "kind": rule.kind,
        "distance_m": rule.default_m,
        "by_kind": [
            {"kind": kind, "label": str(kinds.get(kind, kind)), "distance_m": metres}
            for kind, metres in sorted(rule.by_kind.items())
        ],
        "source": rule.standard,
    }


@login_required(login_url="/accounts/login/")
def coverage_map(request):
    layers = [
        {
            "slug": lay.slug,
            "title": lay.title,
            "kind": lay.coverage.kind,
            "default_m": lay.coverage.default_m,
            "rule": _rule_config(lay),
            "items": reverse("ogc-items", kwargs={"collection_id": lay.slug}),
            "colors": lay.status_colors,
        }
        for lay in engine.coverage_layers()
        if lay.is_staff_reader(request.user)
    ]
    english = (get_language() or "").startswith("en")
    return render(
        request,
        "geo_cm/coverage.html",
        {
            "config": {
                "layers": layers,
                "basemap": basemap_config(),
                "api": "/api/coverage/",
                "areas": reverse("district-boundary"),
                "english": english,
                # English names where the data has them (?lang=en); codes stay the keys.
                "subdistricts": [
                    {"code": s.code, "name": (s.name_en if english and s.name_en else s.name)}
                    for s in Subdistrict.objects.order_by("code").only("code", "name", "name_en")
                ],
                # Demand signals other apps draw over the analysis (complaints outside it).
                "overlays": [
                    {"slug": o.slug, "title": o.title, "layers": o.layers, "url": str(o.url)}
                    for o in overlays.for_user(request.user)
                ],
            }
        },
    )
