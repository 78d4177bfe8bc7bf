from django.urls import path, re_path

from . import views

FMT = r"\.(?P<fmt>json|xml)$"
ID = r"(?P<code>[A-Za-z0-9_-]{1,64})"

urlpatterns = [
    # The public: report a problem, see reports near me.
    path("report/", views.report_page, name="workorders-report-page"),
    path("report/near/", views.near_page, name="workorders-near-page"),
    path("api/workorders/reports", views.ReportView.as_view(), name="workorders-report"),
    path("api/workorders/near", views.NearView.as_view(), name="workorders-near"),
    # Open311 GeoReport v2 (formats by suffix, as the specification names them).
    path("open311/v2/", views.DiscoveryRootView.as_view(), {"fmt": "json"}, name="open311-root"),
    re_path(
        r"^open311/v2/discovery" + FMT, views.DiscoveryView.as_view(), name="open311-discovery"
    ),
    re_path(r"^open311/v2/services" + FMT, views.ServicesView.as_view(), name="open311-services"),
    re_path(
        r"^open311/v2/services/(?P<code>[a-z_]{1,20})" + FMT,
        views.ServiceDefinitionView.as_view(),
        name="open311-service",
    ),
    re_path(r"^open311/v2/requests" + FMT, views.RequestsView.as_view(), name="open311-requests"),
    re_path(
        r"^open311/v2/requests/" + ID + FMT, views.RequestView.as_view(), name="open311-request"
    ),
    # Handling: the field app's task source and the steps (field app and desk).
    path(
        "api/workorders/field/nearby",
        views.FieldNearbyView.as_view(),
        name="workorders-field-nearby",
    ),
    path(
        "api/workorders/<str:pk>/field",
        views.FieldDetailView.as_view(),
        name="workorders-field-detail",
    ),
    path("api/workorders/<str:pk>/status", views.StepView.as_view(), name="workorders-step"),
    path(
        "api/workorders/<str:pk>/asset", views.AssetConfirmView.as_view(), name="workorders-asset"
    ),
    # Planners.
    path("workorders/hotspots/", views.hotspot_page, name="workorders-hotspots"),
    path("api/workorders/hotspots", views.HotspotView.as_view(), name="workorders-hotspots-api"),
    path("api/workorders/signal", views.SignalView.as_view(), name="workorders-demand-signal"),
]
