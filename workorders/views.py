"""Work-order endpoints: the public report page and list, Open311 GeoReport v2, the
handling steps (field app and desk), and the planners' hotspot map and demand signal."""

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from geo_cm.api.idempotency import idempotent
from geo_cm.api.params import parse_id, parse_point, reject_unknown
from geo_cm.basemaps import basemap_config
from geo_cm.field.views import checked_photos, if_match_version
from geo_cm.models import District, Subdistrict
from geo_cm.registry import registry
from geo_cm.security.throttles import ScopedRateThrottle

from . import open311, selectors, services
from .models import Category, Channel, Datum, WorkOrder
from .models import WorkOrderStatus as S
from .serializers import ReportInSerializer, public_feature, task_item

ERROR = OpenApiResponse(OpenApiTypes.OBJECT, description="{code, description, errors}")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "PayloadTooLarge"
    default_detail = "The report is too large."


def _django_errors(exc: DjangoValidationError):
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


def in_district(point) -> bool:
    """Whether ``point`` (EPSG:4326) lies in a district we manage (True when none is loaded)."""
    districts = District.objects.all()
    return not districts.exists() or districts.filter(geom__intersects=point).exists()


# ---- the public: report a problem, see reports near me --------------------------------------


# The work-order layer's status colours (one source: the registry).
STATUS_COLOURS = registry.get("work-orders").status_colors


def report_page(request):
    """The public report form (no login, phone first)."""
    limits = settings.GEOCM
    return render(
        request,
        "workorders/report.html",
        {
            "config": {
                "api": reverse("workorders-report"),
                "near": reverse("workorders-near-page"),
                "basemap": basemap_config(),
                "maxPhotos": limits["REPORT_MAX_PHOTOS"],
                "maxBytes": limits["REPORT_PHOTO_MAX_BYTES"],
                "center": [32.07, 118.63],
            },
            "categories": Category.choices,
        },
    )


def near_page(request):
    """Reports near me with their status (no personal data)."""
    return render(
        request,
        "workorders/near.html",
        {
            "config": {
                "api": reverse("workorders-near"),
                "report": reverse("workorders-report-page"),
                # requests/{code}.json: a sent report's own place (?code= from the form).
                "open311": reverse("open311-root") + "requests/",
                "basemap": basemap_config(),
                "center": [32.07, 118.63],
            },
            "statuses": [(s, label, STATUS_COLOURS[s]) for s, label in S.choices],
            "colours": STATUS_COLOURS,
        },
    )


class ReportView(APIView):
    """A citizen's report from the public form: no login, throttled, size-limited."""

    permission_classes = [permissions.AllowAny]
    # Nobody is identified on the public form (so no session and no CSRF token needed);
    # the throttle counts per client address.
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "workorder_report"
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=["Work orders"],
        operation_id="createPublicReport",
        summary="Report a problem (public, no login)",
        description=(
            "Multipart form: category, lon, lat (WGS84, or datum=gcj02/bd09), description, "
            "address, optional name and phone (kept private) and up to REPORT_MAX_PHOTOS "
            "photos (JPEG, PNG or WebP, each at most REPORT_PHOTO_MAX_BYTES). Throttled per "
            "client address (429 with Retry-After)."
        ),
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 413: ERROR, 429: ERROR},
    )
    def post(self, request):
        limits = settings.GEOCM
        ceiling = limits["REPORT_MAX_PHOTOS"] * limits["REPORT_PHOTO_MAX_BYTES"] + 100_000
        if int(request.META.get("CONTENT_LENGTH") or 0) > ceiling:
            raise PayloadTooLarge(
                _("The report is larger than %(mb)s MB; send fewer or smaller photos.")
                % {"mb": f"{ceiling / 1e6:.0f}"}
            )
        photos = checked_photos(
            request,
            max_photos=limits["REPORT_MAX_PHOTOS"],
            max_bytes=limits["REPORT_PHOTO_MAX_BYTES"],
            sums=False,
        )
        serializer = ReportInSerializer(data=request.data, context={"photo_count": len(photos)})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            point = services.workorder_location(lon=data["lon"], lat=data["lat"],
                                                datum=data["datum"])  # fmt: skip
            if not in_district(point):
                raise ValidationError({"lon": [_("This place is outside the district we serve.")]})
            order = services.workorder_create(
                category=data["category"],
                channel=Channel.WEB,
                point=point,
                description=data["description"],
                address=data["address"],
                reporter_name=data["name"],
                reporter_phone=data["phone"],
                datum=data["datum"],
                photos=photos,
                source="web",
            )
        except DjangoValidationError as exc:
            raise ValidationError(_django_errors(exc)) from exc
        return Response(
            {
                **public_feature(order)["properties"],
                "track_url": reverse("workorders-near-page") + f"?code={order.code}",
            },
            status=status.HTTP_201_CREATED,
        )


class NearView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["Work orders"],
        operation_id="listReportsNear",
        summary="Reports near a place with their status (public: no personal data)",
        parameters=[
            OpenApiParameter("near", str, required=True, description="lon,lat (WGS84)"),
            OpenApiParameter("radius", float, description="metres, 50..3000 (default 1000)"),
            OpenApiParameter("limit", int, description="1..200 (default 100)"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ERROR},
    )
    def get(self, request):
        query = request.query_params
        reject_unknown(query, {"near", "radius", "limit"})
        point = parse_point(query.get("near"), "near")
        if point is None:
            raise ValidationError({"near": [_("near is required: lon,lat in degrees.")]})
        radius = _number(query, "radius", 1000, 50, 3000)
        limit = int(_number(query, "limit", 100, 1, 200))
        orders = selectors.workorders_near(point=point, radius_m=radius, limit=limit)
        return Response(
            {
                "type": "FeatureCollection",
                "features": [public_feature(o, distance_m=o.distance.m) for o in orders],
            }
        )


def _number(query, name, default, low, high):
    value = query.get(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:
        raise ValidationError(
            {name: [_("%(name)s must be a number from %(low)s to %(high)s.")
                    % {"name": name, "low": low, "high": high}]}
        )  # fmt: skip
    return number


# ---- Open311 GeoReport v2 -----------------------------------------------------------------


class Open311View(APIView):
    """Base: GeoReport's formats and error bodies for every answer, errors included."""

    permission_classes = [permissions.AllowAny]
    parser_classes = [FormParser, MultiPartParser, JSONParser]
    # OpenAPI (geo_cm.api.schema): every answer comes as JSON or XML (the path's {fmt}),
    # and handle_exception below answers these errors, as GeoReport's error list.
    openapi_media_types = ("text/xml",)
    openapi_errors = {400, 403, 404, 429}
    openapi_error_schema = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
        },
    }

    def handle_exception(self, exc):
        fmt = self.kwargs.get("fmt", "json")
        if isinstance(exc, open311.Open311Error):
            error = exc
        elif isinstance(exc, exceptions.Throttled):
            error = open311.Open311Error(429, str(exc.detail))
        elif isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
            error = open311.Open311Error(403, _("Invalid api_key."))
        elif isinstance(exc, Http404 | exceptions.NotFound):
            error = open311.Open311Error(404, str(getattr(exc, "detail", exc)))
        elif isinstance(exc, exceptions.APIException):
            error = open311.Open311Error(exc.status_code, _first_message(exc.detail))
        else:
            return super().handle_exception(exc)
        response = open311.render_error(error, fmt=fmt)
        if isinstance(exc, exceptions.Throttled) and exc.wait:
            response["Retry-After"] = str(int(exc.wait))
        return response

    def jurisdiction(self, params):
        given = params.get("jurisdiction_id")
        if given and given != settings.GEOCM["OPEN311_JURISDICTION"]:
            raise open311.Open311Error(
                404,
                _("jurisdiction_id %(given)s not found; this endpoint serves %(ours)s.")
                % {"given": given, "ours": settings.GEOCM["OPEN311_JURISDICTION"]},
            )


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            return f"{key}: {_first_message(value)}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


OPEN311_SCHEMA = {"tags": ["Open311 GeoReport v2"], "responses": {200: OpenApiTypes.OBJECT}}


class DiscoveryView(Open311View):
    @extend_schema(operation_id="open311Discovery", summary="Service discovery",
                   **OPEN311_SCHEMA)  # fmt: skip
    def get(self, request, fmt):
        url = request.build_absolute_uri(reverse("open311-root"))
        data = {
            "changeset": "2024-01-01T00:00:00+08:00",
            "contact": _("Pukou District urban management bureau"),
            "key_service": _("Ask the bureau's information office for an API key."),
            "endpoints": [
                {
                    "specification": SPEC_URL_V2,
                    "url": url.rstrip("/"),
                    "changeset": "2024-01-01T00:00:00+08:00",
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }
        return open311.render(data, fmt=fmt, root="discovery")


SPEC_URL_V2 = open311.SPEC_URL


class DiscoveryRootView(DiscoveryView):
    """/open311/v2/ itself answers the discovery document (JSON)."""

    @extend_schema(operation_id="open311DiscoveryRoot", summary="Service discovery (JSON)",
                   **OPEN311_SCHEMA)  # fmt: skip
    def get(self, request, fmt):
        return super().get(request, fmt)


class ServicesView(Open311View):
    @extend_schema(operation_id="open311Services", summary="Service list (categories)",
                   **OPEN311_SCHEMA)  # fmt: skip
    def get(self, request, fmt):
        self.jurisdiction(request.query_params)
        return open311.render(open311.service_list(), fmt=fmt, root="services", item="service")


class ServiceDefinitionView(Open311View):
    @extend_schema(operation_id="open311ServiceDefinition", summary="Service definition",
                   **OPEN311_SCHEMA)  # fmt: skip
    def get(self, request, code, fmt):
        self.jurisdiction(request.query_params)
        if code not in Category.values:
            raise open311.Open311Error(404, _("service_code %(code)s not found.") % {"code": code})
        return open311.render(open311.service_definition(code), fmt=fmt,
                              root="service_definition")  # fmt: skip


def _instant(value: str, name: str) -> dt.datetime:
    """A W3C/ISO 8601 date-time (a date alone is its local midnight); naive is local."""
    try:
        parsed = parse_datetime(value) or (
            dt.datetime.combine(parse_date(value), dt.time.min) if parse_date(value) else None
        )
    except ValueError:
        parsed = None
    if parsed is None:
        raise open311.Open311Error(
            400,
            _("%(name)s must be an ISO 8601 date-time such as 2023-05-01T00:00:00+08:00.")
            % {"name": name},
        )
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


MAX_SPAN = dt.timedelta(days=90)
MAX_REQUESTS = 1000


class RequestsView(Open311View):
    def get_throttles(self):
        if self.request.method == "POST":
            self.throttle_scope = "open311_post"
            return [ScopedRateThrottle()]
        return []

    @extend_schema(
        operation_id="open311GetRequests",
        summary="Service requests (GeoReport v2 filters)",
        parameters=[
            OpenApiParameter("service_request_id", str, description="comma-separated ids"),
            OpenApiParameter("service_code", str, description="comma-separated codes"),
            OpenApiParameter("start_date", str, description="ISO 8601; default end - 90 days"),
            OpenApiParameter("end_date", str, description="ISO 8601; default now"),
            OpenApiParameter("status", str, enum=["open", "closed", "open,closed"]),
            OpenApiParameter("jurisdiction_id", str),
        ],
        **OPEN311_SCHEMA,
    )
    def get(self, request, fmt):
        query = request.query_params
        self.jurisdiction(query)
        qs = WorkOrder.objects.select_related("subdistrict", "team")
        ids = [i for i in query.get("service_request_id", "").split(",") if i.strip()]
        if ids:
            # GeoReport: the ids override every other filter.
            qs = qs.filter(code__in=[i.strip() for i in ids[:MAX_REQUESTS]])
        else:
            end = _instant(query["end_date"], "end_date") if query.get("end_date") else None
            start = _instant(query["start_date"], "start_date") if query.get("start_date") else None
            end = end or (start + MAX_SPAN if start else timezone.now())
            start = start or end - MAX_SPAN
            if end < start:
                raise open311.Open311Error(400, _("end_date is before start_date."))
            if end - start > MAX_SPAN:
                raise open311.Open311Error(
                    400, _("start_date to end_date may span 90 days at most.")
                )
            qs = qs.filter(received_at__gte=start, received_at__lte=end)
            codes = [c for c in query.get("service_code", "").split(",") if c]
            unknown = [c for c in codes if c not in Category.values]
            if unknown:
                raise open311.Open311Error(
                    400, _("service_code %(code)s not found.") % {"code": unknown[0]}
                )
            if codes:
                qs = qs.filter(category__in=codes)
            wanted = [s for s in query.get("status", "").split(",") if s]
            if any(s not in ("open", "closed") for s in wanted):
                raise open311.Open311Error(400, _("status must be open or closed."))
            if wanted == ["open"]:
                qs = qs.filter(status__in=open311.OPEN311_OPEN)
            elif wanted == ["closed"]:
                qs = qs.exclude(status__in=open311.OPEN311_OPEN)
        full = request.user.has_perm("workorders.view_workorder")
        records = [
            open311.request_record(o, full=full)
            for o in qs.order_by("-received_at", "-pk")[:MAX_REQUESTS]
        ]
        return open311.render(records, fmt=fmt, root="service_requests", item="request")

    @extend_schema(
        operation_id="open311PostRequest",
        summary="Create a service request (api_key of a reporting app or hotline system)",
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT, 400: ERROR, 403: ERROR, 429: ERROR},
        tags=["Open311 GeoReport v2"],
    )
    def post(self, request, fmt):
        data = request.data if hasattr(request.data, "get") else {}
        self.jurisdiction(data)
        user = _api_client(request, data)
        values = _open311_values(data)
        try:
            order = services.workorder_create(**values, by=user, source=f"open311:{user}")
        except DjangoValidationError as exc:
            raise open311.Open311Error(400, _first_message(_django_errors(exc))) from exc
        answer = [{"service_request_id": order.code, "service_notice": None, "account_id": None}]
        return open311.render(answer, fmt=fmt, root="service_requests", item="request",
                              status=201)  # fmt: skip


def _api_client(request, data):
    """The reporting app behind the request: its ``api_key`` (a DRF token of an account
    holding workorders.add_workorder), or the token it sent in the Authorization header."""
    key = str(data.get("api_key") or request.query_params.get("api_key") or "")
    user = None
    if key:
        token = Token.objects.select_related("user").filter(key=key[:40]).first()
        user = token.user if token and token.user.is_active else None
    elif request.user.is_authenticated:
        user = request.user
    if user is None or not user.has_perm("workorders.add_workorder"):
        raise open311.Open311Error(403, _("Invalid api_key."))
    return user


def _open311_values(data) -> dict:
    """A GeoReport POST's fields checked one by one (a 400 naming the first bad one)."""

    def text(name, limit):
        value = str(data.get(name) or "").strip()
        if len(value) > limit:
            raise open311.Open311Error(
                400, _("%(name)s is longer than %(n)s characters.") % {"name": name, "n": limit}
            )
        if any(ord(c) < 32 and c not in "\t\r\n" for c in value):
            raise open311.Open311Error(
                400, _("%(name)s contains control characters.") % {"name": name}
            )
        return value

    code = text("service_code", 20)
    if not code:
        raise open311.Open311Error(400, _("service_code is required."))
    if code not in Category.values:
        raise open311.Open311Error(400, _("service_code %(code)s not found.") % {"code": code})
    if data.get("lat") in (None, "") or data.get("long") in (None, ""):
        raise open311.Open311Error(
            400, _("lat and long are required: this jurisdiction does not geocode addresses.")
        )
    try:
        lat, lon = float(data["lat"]), float(data["long"])
    except (TypeError, ValueError):
        raise open311.Open311Error(400, _("lat and long must be decimal degrees.")) from None
    channel = text("attribute[channel]", 10) or Channel.WEB
    if channel not in (Channel.HOTLINE_12345, Channel.HOTLINE_12319, Channel.WEB):
        raise open311.Open311Error(400, _("attribute[channel] must be 12345, 12319 or web."))
    datum = text("attribute[datum]", 10) or Datum.WGS84
    if datum not in Datum.values:
        raise open311.Open311Error(400, _("attribute[datum] must be wgs84, gcj02 or bd09."))
    try:
        point = services.workorder_location(lon=lon, lat=lat, datum=datum)
    except DjangoValidationError:
        raise open311.Open311Error(400, _("lat must be -90..90 and long -180..180.")) from None
    if not in_district(point):
        raise open311.Open311Error(400, _("lat/long is outside the district we serve."))
    media_url = text("media_url", 500)
    if media_url and not media_url.lower().startswith(("http://", "https://")):
        raise open311.Open311Error(400, _("media_url must be an http(s) URL."))
    name = " ".join(p for p in (text("first_name", 50), text("last_name", 50)) if p)
    return {
        "category": code,
        "channel": channel,
        "point": point,
        "description": text("description", 4000),
        "address": text("address_string", 300),
        "reporter_name": name,
        "reporter_phone": text("phone", 40),
        "datum": datum,
        "media_url": media_url,
    }


class RequestView(Open311View):
    @extend_schema(operation_id="open311GetRequest", summary="One service request",
                   **OPEN311_SCHEMA)  # fmt: skip
    def get(self, request, code, fmt):
        self.jurisdiction(request.query_params)
        order = WorkOrder.objects.select_related("subdistrict", "team").filter(code=code).first()
        if order is None:
            raise open311.Open311Error(
                404, _("service_request_id %(id)s not found.") % {"id": code}
            )
        full = request.user.has_perm("workorders.view_workorder")
        return open311.render([open311.request_record(order, full=full)], fmt=fmt,
                              root="service_requests", item="request")  # fmt: skip


# ---- handling steps: the field app and the desk -------------------------------------------


class HandlerPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(
            request.user.is_authenticated and request.user.has_perm("workorders.change_workorder")
        )


def _order(pk) -> WorkOrder:
    try:
        return WorkOrder.objects.select_related("subdistrict", "team").get(pk=parse_id(str(pk)))
    except (ValueError, WorkOrder.DoesNotExist):
        raise NotFound(_("No work order '%(id)s'.") % {"id": pk}) from None


class FieldNearbyView(APIView):
    permission_classes = [HandlerPermission]

    @extend_schema(
        tags=["Work orders"],
        operation_id="listWorkOrdersForTeam",
        summary="Open work orders of the caller's subdistricts, soonest deadline first",
        parameters=[
            OpenApiParameter("near", str, description="lon,lat (WGS84); all when absent"),
            OpenApiParameter("radius", float, description="metres, 50..20000 (default 3000)"),
            OpenApiParameter("limit", int, description="1..200 (default 50)"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ERROR},
    )
    def get(self, request):
        query = request.query_params
        reject_unknown(query, {"near", "radius", "limit"})
        point = parse_point(query.get("near"), "near")
        radius = _number(query, "radius", 3000, 50, 20000)
        limit = int(_number(query, "limit", 50, 1, 200))
        orders = selectors.workorders_for_team(user=request.user, point=point, radius_m=radius,
                                               limit=limit)  # fmt: skip
        now = timezone.now()
        return Response({"tasks": [task_item(o, now=now) for o in orders]})


class FieldDetailView(APIView):
    permission_classes = [HandlerPermission]

    @extend_schema(
        tags=["Work orders"],
        operation_id="getWorkOrderForField",
        summary="One work order with its next statuses, history and concerned asset",
        responses={200: OpenApiTypes.OBJECT, 404: ERROR},
    )
    def get(self, request, pk):
        order = _order(pk)
        response = Response(selectors.workorder_field_detail(order=order, user=request.user))
        response["ETag"] = f'"{order.version}"'
        return response


class StepView(APIView):
    permission_classes = [HandlerPermission]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=["Work orders"],
        operation_id="changeWorkOrderStatus",
        summary="Take a handling step: dispatch, reply, resolve (and fix the asset), close, "
        "reopen or reject",
        description=(
            "Form or JSON: status (dispatched, replied, resolved, closed, reopened, "
            "rejected), note (the reply, resolution or reason), satisfaction (closing), team "
            "(a subdistrict code, dispatching), asset_status (resolving: the concerned "
            "asset's new status, changed in the same step), lon/lat, photos with "
            "photo_sha256. If-Match (the order's ETag) is required; Idempotency-Key makes "
            "a retry safe."
        ),
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 403: ERROR, 412: ERROR, 428: ERROR},
    )
    @idempotent
    def post(self, request, pk):
        order = _order(pk)
        expected = if_match_version(request)
        data = request.data
        if not hasattr(data, "get"):
            raise ValidationError({"body": [_("Send a form or a JSON object.")]})
        target = str(data.get("status") or "")
        note = str(data.get("note", ""))[:2000]
        where = None
        if data.get("lon") not in (None, "") and data.get("lat") not in (None, ""):
            where = parse_point(f"{data.get('lon')},{data.get('lat')}", "lon")
        photos = checked_photos(request)
        common = {"order": order, "by": request.user, "expected_version": expected}

        def act():
            if target == S.DISPATCHED:
                team = None
                if data.get("team"):
                    team = Subdistrict.objects.filter(code=data["team"]).first()
                    if team is None:
                        raise ValidationError({"team": [_("No subdistrict with this code.")]})
                return services.workorder_dispatch(team=team, note=note, **common)
            if target == S.REPLIED:
                return services.workorder_reply(text=note, reported_from=where, photos=photos,
                                                **common)  # fmt: skip
            if target == S.RESOLVED:
                return services.workorder_resolve(
                    resolution=note,
                    asset_status=str(data.get("asset_status") or "") or None,
                    reported_from=where,
                    photos=photos,
                    **common,
                )
            if target == S.CLOSED:
                satisfaction = str(data.get("satisfaction") or "")
                return services.workorder_close(satisfaction=satisfaction, note=note, **common)
            if target == S.REOPENED:
                return services.workorder_reopen(reason=note, **common)
            if target == S.REJECTED:
                return services.workorder_reject(reason=note, **common)
            raise ValidationError(
                {"status": [_("Choose the new status: dispatched, replied, resolved, "
                              "closed, reopened or rejected.")]}
            )  # fmt: skip

        return _step_answer(request, order, expected, act)


class AssetConfirmView(APIView):
    permission_classes = [HandlerPermission]
    parser_classes = [FormParser, MultiPartParser, JSONParser]

    @extend_schema(
        tags=["Work orders"],
        operation_id="confirmWorkOrderAsset",
        summary="Confirm the asset an order concerns: the proposed one, another, or none",
        description=(
            "Form or JSON: layer and code of the asset (a layer of the order's category), "
            "or none=1. With neither, the proposed asset is confirmed. If-Match required."
        ),
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 403: ERROR, 412: ERROR, 428: ERROR},
    )
    @idempotent
    def post(self, request, pk):
        order = _order(pk)
        expected = if_match_version(request)
        data = request.data if hasattr(request.data, "get") else {}
        if str(data.get("none", "")) in ("1", "true", "on"):
            layer, code = None, None
        else:
            layer = str(data.get("layer") or order.asset_layer or "")
            code = str(data.get("code") or order.asset_code or "")
            if not layer or not code:
                raise ValidationError({"code": [_("No asset is proposed: give layer and code.")]})
        return _step_answer(
            request,
            order,
            expected,
            lambda: services.workorder_asset_confirm(
                order=order, layer_slug=layer, asset_code=code, by=request.user,
                expected_version=expected,
            ),
        )  # fmt: skip


def _step_answer(request, order, expected, act):
    """Take a handling step (``act()`` returns the order after it): the field app's detail
    with the new ETag, or the refusal as the API's error (412 with what changed since the
    client's version, 400 naming the field, 403)."""
    try:
        updated = act()
    except services.VersionConflict as exc:
        return _conflict(order, expected, exc)
    except DjangoValidationError as exc:
        raise ValidationError(_django_errors(exc)) from exc
    except PermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    response = Response(selectors.workorder_field_detail(order=updated, user=request.user))
    response["ETag"] = f'"{updated.version}"'
    return response


def _conflict(order, expected, exc):
    """412 with the order's current state and the steps taken since the client's version."""
    order.refresh_from_db()
    since = [
        {
            "at": open311.iso(e.at),
            "user": e.user.get_username() if e.user else e.source,
            "changes": {"status": [e.from_status, e.to_status]},
            "note": e.note,
            "version": e.order_version,
        }
        for e in order.events.select_related("user").filter(order_version__gt=expected)
    ]
    response = Response(
        {
            "code": "PreconditionFailed",
            "description": _(
                "Someone changed %(code)s after you opened it. Check their change "
                "and redo yours if it is still needed."
            )
            % {"code": order.code},
            "current": {
                "status": order.status,
                "status_label": order.get_status_display(),
                "version": order.version,
            },
            "changes_since": since,
        },
        status=status.HTTP_412_PRECONDITION_FAILED,
    )
    response["ETag"] = f'"{exc.current_version}"'
    return response


# ---- planners: hotspots and the coverage map's demand signal ------------------------------


def _period(query) -> tuple[dt.date, dt.date]:
    """``start``/``end`` local dates (default: the 365 days up to the newest order's day)."""
    last = selectors.latest_received_day()
    values = {}
    for name, default in (("start", last - dt.timedelta(days=364)), ("end", last)):
        raw = query.get(name)
        try:
            values[name] = parse_date(raw) if raw else default
        except ValueError:
            values[name] = None
        if values[name] is None:
            raise ValidationError({name: [_("%(name)s must be a date such as 2023-01-31.")
                                          % {"name": name}]})  # fmt: skip
    if values["end"] < values["start"]:
        raise ValidationError({"end": [_("end is before start.")]})
    if (values["end"] - values["start"]).days > 3 * 366:
        raise ValidationError({"end": [_("The period may be three years at most.")]})
    return values["start"], values["end"]


def _categories(query) -> list[str]:
    wanted = [c for c in query.get("category", "").split(",") if c]
    bad = [c for c in wanted if c not in Category.values]
    if bad:
        raise ValidationError(
            {"category": [_("Unknown category '%(c)s'. Allowed: %(all)s.")
                          % {"c": bad[0], "all": ", ".join(Category.values)}]}
        )  # fmt: skip
    return wanted


def _subdistrict(query):
    code = query.get("subdistrict")
    if not code:
        return None
    found = (
        Subdistrict.objects.filter(code=code).first()
        or Subdistrict.objects.filter(code_old=code).first()
    )
    if found is None:
        raise ValidationError(
            {"subdistrict": [_("Unknown subdistrict code '%(code)s'.") % {"code": code}]}
        )
    return found


class ReaderPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        return bool(
            request.user.is_authenticated and request.user.has_perm("workorders.view_workorder")
        )


class HotspotView(APIView):
    permission_classes = [ReaderPermission]

    @extend_schema(
        tags=["Work orders"],
        operation_id="getWorkOrderHotspots",
        summary="Complaint density: counts per grid cell (GeoJSON), not one pin per order",
        parameters=[
            OpenApiParameter("category", str, description="comma-separated categories"),
            OpenApiParameter("start", str, description="local date, default a year ago"),
            OpenApiParameter("end", str, description="local date, default today"),
            OpenApiParameter("cell", float, description="cell size in metres, 100..5000"),
            OpenApiParameter("subdistrict", str, description="subdistrict code"),
        ],
        responses={(200, "application/geo+json"): OpenApiTypes.OBJECT, 400: ERROR},
    )
    def get(self, request):
        query = request.query_params
        reject_unknown(query, {"category", "start", "end", "cell", "subdistrict"})
        start, end = _period(query)
        text = selectors.hotspot_cells_geojson(
            categories=_categories(query),
            start=start,
            end=end,
            cell_m=_number(query, "cell", 500, 100, 5000),
            subdistrict=_subdistrict(query),
        )
        return HttpResponse(text, content_type="application/geo+json")


class SignalView(APIView):
    permission_classes = [ReaderPermission]

    @extend_schema(
        tags=["Work orders"],
        operation_id="getComplaintDemandSignal",
        summary="Complaints outside a layer's service area (or along its dark stretches)",
        parameters=[
            OpenApiParameter("layer", str, required=True),
            OpenApiParameter("mode", str, enum=["straight", "network"]),
            OpenApiParameter("radius", float, description="metres; default: the layer's rule"),
            OpenApiParameter("subdistrict", str),
            OpenApiParameter("start", str),
            OpenApiParameter("end", str),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 404: ERROR},
    )
    def get(self, request):
        query = request.query_params
        reject_unknown(query, {"layer", "mode", "radius", "subdistrict", "start", "end"})
        mode = query.get("mode", "straight")
        if mode not in ("straight", "network"):
            raise ValidationError({"mode": [_("mode must be straight or network.")]})
        radius = query.get("radius")
        radius = _number(query, "radius", None, 10, 5000) if radius is not None else None
        start, end = _period(query)
        try:
            answer = selectors.demand_signal(
                layer_slug=str(query.get("layer") or ""),
                mode=mode,
                radius_m=radius,
                subdistrict=_subdistrict(query),
                start=start,
                end=end,
            )
        except LookupError as exc:
            raise NotFound(str(exc)) from exc
        return Response(answer)


@login_required(login_url="/accounts/login/")
def hotspot_page(request):
    """The planners' hotspot map: complaint density by category and period."""
    if not request.user.has_perm("workorders.view_workorder"):
        raise PermissionDenied
    last = selectors.latest_received_day()
    return render(
        request,
        "workorders/hotspots.html",
        {
            "config": {
                "api": reverse("workorders-hotspots-api"),
                "areas": reverse("district-boundary"),
                "basemap": basemap_config(),
                "start": (last - dt.timedelta(days=364)).isoformat(),
                "end": last.isoformat(),
                "subdistricts": list(Subdistrict.objects.values("code", "name")),
            },
            "categories": Category.choices,
            "category_labels": {c: str(label) for c, label in Category.choices},
        },
    )
