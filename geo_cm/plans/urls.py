from django.urls import path

from . import reading_views, views

urlpatterns = [
    path(
        "api/plans/<int:year>/targets/<str:code>/readings",
        reading_views.ReadingsView.as_view(),
        name="plan-target-readings",
    ),
    path("api/plans/<int:year>/progress", views.ProgressView.as_view(), name="plan-progress"),
    path(
        "api/plans/<int:year>/targets/<str:code>",
        views.TargetView.as_view(),
        name="plan-target",
    ),
    path("plans/", views.plans_index, name="plans"),
    path("plans/<int:year>/", views.plan_dashboard, name="plan-dashboard"),
]
