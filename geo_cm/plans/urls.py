from django.urls import path, register_converter

from . import reading_views, report_views, views
from .models import PLAN_YEAR_MAX, PLAN_YEAR_MIN


class PlanYearConverter:
    """A plan year within the bounds Plan.year accepts; any other number is a 404 before a
    view runs (a year like 10000 would otherwise reach date arithmetic)."""

    # Any digits reverse (the overview map's URL template uses year 0 as a placeholder);
    # only years in bounds resolve.
    regex = "[0-9]+"

    def to_python(self, value):
        year = int(value)
        if not PLAN_YEAR_MIN <= year <= PLAN_YEAR_MAX:
            raise ValueError(value)
        return year

    def to_url(self, value):
        return str(value)


class TargetCodeConverter:
    """Target codes are letters, digits, "-", "_" and "."; anything else (a NUL, a slash,
    a space) is a 404 rather than a string the database refuses."""

    regex = "[A-Za-z0-9._-]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(PlanYearConverter, "plan_year")
register_converter(TargetCodeConverter, "target_code")

urlpatterns = [
    path(
        "plans/<plan_year:year>/report.xlsx", report_views.report_xlsx_view, name="plan-report-xlsx"
    ),
    path("plans/<plan_year:year>/print/", report_views.report_print_view, name="plan-report-print"),
    path(
        "plans/<plan_year:year>/map-report.html",
        report_views.map_report_view,
        name="plan-map-report",
    ),
    path(
        "api/plans/<plan_year:year>/targets/<target_code:code>/readings",
        reading_views.ReadingsView.as_view(),
        name="plan-target-readings",
    ),
    path("api/plans/<plan_year:year>/progress", views.ProgressView.as_view(), name="plan-progress"),
    path(
        "api/plans/<plan_year:year>/targets/<target_code:code>",
        views.TargetView.as_view(),
        name="plan-target",
    ),
    path("plans/", views.plans_index, name="plans"),
    path("plans/<plan_year:year>/", views.plan_dashboard, name="plan-dashboard"),
]
