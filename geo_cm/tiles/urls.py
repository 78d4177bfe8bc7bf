"""OGC API – Tiles paths, included under /ogc/ by geo_cm.api.urls (before its JSON 404)."""

from django.urls import path

from . import views

urlpatterns = [
    path("tileMatrixSets", views.TileMatrixSetsView.as_view(), name="ogc-tilematrixsets"),
    path(
        "tileMatrixSets/<str:tms_id>",
        views.TileMatrixSetView.as_view(),
        name="ogc-tilematrixset",
    ),
    path(
        "collections/<str:collection_id>/tiles",
        views.TilesetsView.as_view(),
        name="ogc-tilesets",
    ),
    path(
        "collections/<str:collection_id>/tiles/<str:tms_id>",
        views.TilesetView.as_view(),
        name="ogc-tileset",
    ),
    path(
        "collections/<str:collection_id>/tiles/<str:tms_id>/<str:z>/<str:row>/<str:col>",
        views.TileView.as_view(),
        name="ogc-tile",
    ),
]
