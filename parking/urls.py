from django.urls import path

from . import views

urlpatterns = [
    path("parking/", views.public_map, name="parking-public-map"),
    path("api/parking/open", views.OpenFacilitiesView.as_view(), name="parking-open"),
    path("api/parking/occupancy", views.OccupancyFeedView.as_view(), name="parking-occupancy"),
]
