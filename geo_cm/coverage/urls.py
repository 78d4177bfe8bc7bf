from django.urls import path

from . import views

urlpatterns = [
    path("coverage/", views.coverage_map, name="coverage-map"),
    path("api/coverage/<str:layer>", views.CoverageView.as_view(), name="coverage"),
    path(
        "api/coverage/<str:layer>/proposals",
        views.ProposalView.as_view(),
        name="coverage-proposals",
    ),
]
