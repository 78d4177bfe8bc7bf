"""Serializers for the work-order endpoints. Public answers carry an allow-list of fields:
never the description, address, photos or the reporter's name and phone."""

import re

from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers

from . import open311
from .models import Category, Datum, Satisfaction, WorkOrder

PHONE = re.compile(r"^[0-9+\-() ]{5,20}$")
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> str:
    if CONTROL.search(value):
        raise serializers.ValidationError(_("Remove the control characters from this text."))
    return value


class ReportInSerializer(serializers.Serializer):
    """A citizen's report from the public form (photos travel as multipart files)."""

    category = serializers.ChoiceField(choices=Category.choices)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    datum = serializers.ChoiceField(choices=Datum.choices, default=Datum.WGS84)
    description = serializers.CharField(max_length=2000, allow_blank=True, default="")
    address = serializers.CharField(max_length=300, allow_blank=True, default="")
    name = serializers.CharField(max_length=100, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, allow_blank=True, default="")

    def validate_description(self, value):
        return _no_control(value.strip())

    def validate_address(self, value):
        return _no_control(value.strip())

    def validate_name(self, value):
        return _no_control(value.strip())

    def validate_phone(self, value):
        value = value.strip()
        if value and not PHONE.match(value):
            raise serializers.ValidationError(_("A phone number has digits only (and + - ( ))."))
        return value

    def validate(self, data):
        if not data.get("description") and self.context.get("photo_count", 0) == 0:
            raise serializers.ValidationError(
                {"description": [_("Describe the problem or add a photo.")]}
            )
        return data


def public_feature(order: WorkOrder, *, distance_m: float | None = None) -> dict:
    """A report for anyone: category, status, times, the public note and a rounded point."""
    lat, lon = open311.public_point(order)
    props = {
        "code": order.code,
        "category": order.category,
        "category_label": order.get_category_display(),
        "status": order.status,
        "status_label": order.get_status_display(),
        "open": order.status in open311.OPEN311_OPEN,
        "received_at": open311.iso(order.received_at),
        "updated_at": open311.iso(order.updated_at),
        "subdistrict": order.subdistrict.name if order.subdistrict else None,
        "note": open311.status_notes(order),
    }
    if distance_m is not None:
        props["distance_m"] = round(distance_m)
    return {
        "type": "Feature",
        "id": order.code,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": props,
    }


def task_item(order: WorkOrder, *, now) -> dict:
    """An open order in the field app's task list (see geo_cm.field.tasks)."""
    due = order.resolve_due
    distance = getattr(order, "distance", None)
    reply_late = order.replied_at is None and order.reply_due < now
    return {
        "source": "work-orders",
        "id": order.pk,
        "code": order.code,
        "title": f"{order.get_category_display()} {order.code}",
        "status": order.status,
        "status_label": order.get_status_display(),
        "color": "#e53935" if due < now or reply_late else "#1e88e5",
        "deadline": open311.iso(due),
        "reply_due": open311.iso(order.reply_due),
        "overdue": due < now or reply_late,
        "subdistrict": (order.team or order.subdistrict).name
        if (order.team or order.subdistrict)
        else None,
        "distance_m": round(distance.m, 1) if distance is not None else None,
        "lon": round(order.geom.x, 7),
        "lat": round(order.geom.y, 7),
        "detail_url": reverse("workorders-field-detail", kwargs={"pk": order.pk}),
        "action_url": reverse("workorders-step", kwargs={"pk": order.pk}),
    }


SATISFACTION_CHOICES = [c for c in Satisfaction.choices if c[0]]
