from django.urls import path

from . import views

urlpatterns = [
    path("field/", views.field_app, name="field-app"),
    path("field/sw.js", views.service_worker, name="field-sw"),
    path("api/field/nearby", views.NearbyView.as_view(), name="field-nearby"),
    path("api/field/assets/<str:layer>/<str:pk>", views.AssetView.as_view(), name="field-asset"),
    path(
        "api/field/assets/<str:layer>/<str:pk>/status",
        views.StatusView.as_view(),
        name="field-status",
    ),
]
