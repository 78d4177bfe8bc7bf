"""Serializers for the parking endpoints. Only public fields leave the server."""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers


class OccupancyReportInSerializer(serializers.Serializer):
    """A feed message: facility code, time, free or occupied berths."""

    facility = serializers.CharField(max_length=64)
    observed_at = serializers.DateTimeField()
    free = serializers.IntegerField(required=False, allow_null=True)
    occupied = serializers.IntegerField(required=False, allow_null=True)


class SharingWindowOutSerializer(serializers.Serializer):
    weekdays = serializers.ListField(child=serializers.IntegerField())
    start_time = serializers.TimeField(format="%H:%M")
    end_time = serializers.TimeField(format="%H:%M")
    crosses_midnight = serializers.BooleanField()
    berths_shared = serializers.IntegerField()
    audience = serializers.CharField()
    price = serializers.CharField()


def live_free_berths(facility, now: dt.datetime):
    """(free berths, observed at, live?) from the latest report; live when fresh enough."""
    if facility.latest_at is None:
        return None, None, False
    fresh = dt.timedelta(minutes=settings.GEOCM["OCCUPANCY_LIVE_MINUTES"])
    return facility.latest_free, facility.latest_at, now - facility.latest_at <= fresh


class OpenFacilitySerializer(serializers.Serializer):
    """A facility open for sharing, as a GeoJSON Feature with public properties only."""

    def to_representation(self, facility):
        now = self.context.get("now") or timezone.now()
        free, observed_at, live = live_free_berths(facility, now)
        audiences = sorted({w.audience for w in facility.open_windows})
        props = {
            "code": facility.code,
            "name": facility.name,
            "address": facility.address,
            "kind": facility.kind,
            "total_berths": facility.total_berths,
            "fee_summary": facility.fee_summary,
            "public_phone": facility.public_phone,
            "subdistrict": facility.subdistrict_name,
            "windows": SharingWindowOutSerializer(facility.open_windows, many=True).data,
            "berths_shared": sum(w.berths_shared for w in facility.open_windows),
            "free_berths": free,
            # Local time (Asia/Shanghai) and age, so a stale count can say when it was made.
            "free_observed_at": timezone.localtime(observed_at).isoformat()
            if observed_at
            else None,
            "free_age_minutes": max(0, int((now - observed_at).total_seconds() // 60))
            if observed_at
            else None,
            "free_is_live": live,
            "audiences": audiences,
            # Every open window is for nearby residents only: a visitor cannot park here.
            "residents_only": audiences == ["residents"],
            "navigation": self.context["navigation"](facility),
        }
        distance = getattr(facility, "distance", None)
        if distance is not None:
            props["distance_m"] = round(distance.m)
        return {
            "type": "Feature",
            "id": facility.pk,
            "geometry": {
                "type": "Point",
                "coordinates": [round(facility.geom.x, 7), round(facility.geom.y, 7)],
            },
            "properties": props,
        }
