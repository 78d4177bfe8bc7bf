"""The field app (/field/): find assets near the phone, change their status with photos.

Every write carries the version the user started from (If-Match) and an Idempotency-Key,
so a queued update sent twice changes the asset once, and a stale one gets a 412 with
what changed in between.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import assets
from ..api.idempotency import idempotent
from ..api.params import parse_id, parse_point, reject_unknown
from ..basemaps import basemap_config
from ..labels import change_rows, local_time_text
from ..models import ChangeRecord
from ..photos import photo_check
from ..registry import registry
from ..selectors import asset_history
from . import selectors
from .tasks import tasks

ERROR = OpenApiResponse(OpenApiTypes.OBJECT, description="{code, description, errors}")
MAX_PHOTOS = 5


@login_required(login_url="/accounts/login/")
def field_app(request):
    return render(
        request,
        "geo_cm/field.html",
        {
            "api_nearby": reverse("field-nearby"),
            "sw": reverse("field-sw"),
            "basemap": basemap_config(),
            "plurals": {
                key: {"one": ngettext(one, many, 1), "many": ngettext(one, many, 2)}
                for key, one, many in (
                    ("minutesAgo", "%(n)s minute ago", "%(n)s minutes ago"),
                    ("hoursAgo", "%(n)s hour ago", "%(n)s hours ago"),
                    ("daysAgo", "%(n)s day ago", "%(n)s days ago"),
                    ("photosKept", "%(n)s photo kept", "%(n)s photos kept"),
                )
            },
            # Work waiting for this user (open work orders), from the task registry.
            "task_sources": [
                {"slug": s.slug, "title": s.title, "nearby": str(s.nearby_url)}
                for s in tasks.for_user(request.user)
            ],
        },
    )


def service_worker(request):
    """Served under /field/ so its scope covers the app; caches the app shell."""
    body = render_to_string("geo_cm/field_sw.js", {}, request=request)
    response = HttpResponse(body, content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response


class FieldView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def _layer_asset(self, slug, pk, action="view"):
        layer = registry.get(slug)
        if layer is None or not self.request.user.has_perm(layer.perm(action)):
            raise NotFound(_("No collection '%(id)s'.") % {"id": slug})
        try:
            return layer, layer.model.objects.get(pk=parse_id(pk))
        except (ValueError, layer.model.DoesNotExist):
            raise NotFound(
                _("No feature '%(id)s' in '%(layer)s'.") % {"id": pk, "layer": slug}
            ) from None


class NearbyView(FieldView):
    @extend_schema(
        tags=["Field app"],
        operation_id="listAssetsNearby",
        summary="Assets near a position that the caller may change",
        parameters=[
            OpenApiParameter("near", str, required=True, description="lon,lat (WGS84)"),
            OpenApiParameter("radius", float, description="metres"),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ERROR},
    )
    def get(self, request):
        reject_unknown(request.query_params, {"near", "radius", "limit"})
        point = parse_point(request.query_params.get("near"), "near")
        if point is None:
            raise ValidationError({"near": [_("near is required: lon,lat in degrees.")]})
        try:
            radius = float(request.query_params.get("radius", "1000"))
            limit = int(request.query_params.get("limit", "50"))
        except ValueError:
            raise ValidationError({"radius": [_("radius and limit must be numbers.")]}) from None
        if not 1 <= radius <= 5000 or not 1 <= limit <= 200:
            raise ValidationError({"radius": [_("radius must be 1..5000 m and limit 1..200.")]})
        return Response(
            {
                "assets": selectors.assets_near(
                    user=request.user, point=point, radius_m=radius, limit=limit
                )
            }
        )


class AssetView(FieldView):
    @extend_schema(
        tags=["Field app"],
        operation_id="getFieldAsset",
        summary="One asset with its allowed next statuses and history",
        responses={200: OpenApiTypes.OBJECT, 404: ERROR},
    )
    def get(self, request, layer, pk):
        lay, asset = self._layer_asset(layer, pk)
        response = Response(selectors.asset_detail(layer=lay, asset=asset, user=request.user))
        response["ETag"] = f'"{asset.version}"'
        return response


class StatusView(FieldView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        tags=["Field app"],
        operation_id="changeAssetStatus",
        summary="Change an asset's status with a note and photos",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: ERROR, 403: ERROR, 412: ERROR, 428: ERROR},
    )
    @idempotent
    def post(self, request, layer, pk):
        lay, asset = self._layer_asset(layer, pk, action="change")
        expected = if_match_version(request)
        data = request.data
        if not hasattr(data, "get"):
            raise ValidationError({"body": [_("Send a form or a JSON object.")]})
        new_status = data.get("status")
        if not new_status:
            raise ValidationError({"status": [_("Choose the new status.")]})
        note = str(data.get("note", ""))[:2000]
        where = None
        if data.get("lon") not in (None, "") and data.get("lat") not in (None, ""):
            where = parse_point(f"{data.get('lon')},{data.get('lat')}", "lon")
        photos = checked_photos(request)
        try:
            if new_status == asset.status and photos:
                updated = assets.asset_update(
                    asset=asset,
                    values={},
                    by=request.user,
                    note=note,
                    source="field",
                    expected_version=expected,
                    reported_from=where,
                    photos=photos,
                )
            else:
                updated = assets.asset_set_status(
                    asset=asset,
                    status=new_status,
                    by=request.user,
                    note=note,
                    source="field",
                    expected_version=expected,
                    reported_from=where,
                    photos=photos,
                )
        except assets.VersionConflict as exc:
            return _conflict(lay, asset, expected, exc)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
        detail = selectors.asset_detail(layer=lay, asset=updated, user=request.user)
        response = Response(detail)
        response["ETag"] = f'"{updated.version}"'
        return response


def if_match_version(request) -> int:
    """The version in ``If-Match`` (required: 428 without it; 400 when it is not ours)."""
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired()
    try:
        return int(header.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise ValidationError({"If-Match": [_("If-Match must be an ETag we sent.")]}) from None


class PreconditionRequired(ValidationError):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "PreconditionRequired"

    def __init__(self):
        super().__init__({"If-Match": [_("Send the version you started from (If-Match).")]})


def checked_photos(
    request, *, max_photos: int = MAX_PHOTOS, max_bytes: int | None = None, sums: bool = True
):
    """The request's ``photos`` checked (geo_cm.photos) against their ``photo_sha256``; at most
    ``max_photos``, each at most ``max_bytes`` (default GEOCM["PHOTO_MAX_BYTES"]). With
    ``sums`` False a photo may come without its checksum (a browser without WebCrypto on
    plain HTTP). 400s name the photo."""
    files = request.FILES.getlist("photos") if hasattr(request, "FILES") else []
    if len(files) > max_photos:
        raise ValidationError({"photos": [_("At most %(n)s photos.") % {"n": max_photos}]})
    declared = request.data.getlist("photo_sha256") if hasattr(request.data, "getlist") else []
    if files and len(declared) != len(files) and (sums or declared):
        raise ValidationError({"photo_sha256": [_("Send one SHA-256 per photo.")]})
    checked = []
    for index, upload in enumerate(files):
        if max_bytes is not None and upload.size > max_bytes:
            raise ValidationError(
                {"photos": [_("photo %(n)s: larger than %(mb)s MB.")
                            % {"n": index + 1, "mb": f"{max_bytes / 1e6:g}"}]}
            )  # fmt: skip
        try:
            checked.append(
                photo_check(
                    data=upload.read(),
                    declared_sha256=declared[index] if declared else None,
                    index=index,
                )
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from exc
    return checked


def _conflict(layer, asset, expected, exc):
    """412 with the current state and the changes made since the client's version."""
    asset.refresh_from_db()
    since = [
        {
            "at": r.at.isoformat(),
            "at_text": local_time_text(r.at),
            "change_rows": change_rows(model=layer.model, changes=r.changes),
            "user": r.user.get_username() if r.user else r.source,
            "changes": r.changes,
            "note": r.note,
            "version": r.asset_version,
        }
        for r in asset_history(asset=asset, limit=20)
        if r.asset_version is not None
        and r.asset_version > expected
        and r.action != ChangeRecord.Action.CREATE
    ]
    response = Response(
        {
            "code": "PreconditionFailed",
            "description": _(
                "Someone changed %(code)s after you opened it. Check their change "
                "and redo yours if it is still needed."
            )
            % {"code": asset.code},
            "current": {
                "status": asset.status,
                "status_label": layer.status_machine.label(asset.status),
                "version": asset.version,
            },
            "changes_since": since,
        },
        status=status.HTTP_412_PRECONDITION_FAILED,
    )
    response["ETag"] = f'"{exc.current_version}"'
    return response
