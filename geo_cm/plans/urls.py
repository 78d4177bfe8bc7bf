from django.urls import path

from . import reading_views, report_views, views

urlpatterns = [
    path("plans/<int:year>/report.xlsx", report_views.report_xlsx_view, name="plan-report-xlsx"),
    path("plans/<int:year>/print/", report_views.report_print_view, name="plan-report-print"),
    path("plans/<int:year>/map-report.html", report_views.map_report_view, name="plan-map-report"),
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
