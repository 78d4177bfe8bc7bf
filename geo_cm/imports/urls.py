from django.urls import path

from . import views

urlpatterns = [
    path("api/export/<slug:layer>", views.LayerExportView.as_view(), name="layer-export"),
]
