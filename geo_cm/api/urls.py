from django.urls import include, path, re_path

from . import ogc

urlpatterns = [
    path("", ogc.LandingView.as_view(), name="ogc-landing"),
    path("conformance", ogc.ConformanceView.as_view(), name="ogc-conformance"),
    path("collections", ogc.CollectionsView.as_view(), name="ogc-collections"),
    path("collections/<str:collection_id>", ogc.CollectionView.as_view(), name="ogc-collection"),
    path(
        "collections/<str:collection_id>/queryables",
        ogc.QueryablesView.as_view(),
        name="ogc-queryables",
    ),
    path("collections/<str:collection_id>/items", ogc.ItemsView.as_view(), name="ogc-items"),
    path(
        "collections/<str:collection_id>/items/<str:feature_id>",
        ogc.ItemView.as_view(),
        name="ogc-item",
    ),
    # OGC API – Tiles (geo_cm.tiles): tile matrix sets and each collection's vector tiles.
    path("", include("geo_cm.tiles.urls")),
    # Anything else under /ogc/ answers with the API's JSON 404, not an HTML page.
    re_path(r"^.+$", ogc.NotFoundView.as_view()),
]
