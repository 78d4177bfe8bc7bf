"""Exports of the progress report: Excel workbook, printable page and offline map report.

Each takes ``?today=YYYY-MM-DD`` (the day judged; default today in Asia/Shanghai) and
needs a signed-in user, like the progress API.
"""

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from .models import Plan
from .permissions import plan_reader_required
from .reports import map_report_html, report_build, report_print_context, report_xlsx
from .views import BadDate, parse_today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report(request, year):
    plan = Plan.objects.filter(year=year).first()
    if plan is None:
        raise Http404(_("No plan for %(year)s.") % {"year": year})
    today = parse_today(request.GET.get("today"), plan_year=plan.year)
    return report_build(plan=plan, today=today)


def _with_bad_date(view):
    def wrapped(request, year):
        try:
            return view(request, year)
        except BadDate as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@require_GET
@plan_reader_required
@_with_bad_date
def report_xlsx_view(request, year):
    """The progress report as an Excel workbook."""
    report = _report(request, year)
    response = HttpResponse(report_xlsx(report), content_type=XLSX)
    name = f"plan-{year}-report-{report['today'].isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@plan_reader_required
@_with_bad_date
def report_print_view(request, year):
    """The progress report as a printable A4 page (no script)."""
    report = _report(request, year)
    return render(request, "plans/print_report.html", report_print_context(report))


@require_GET
@plan_reader_required
@_with_bad_date
def map_report_view(request, year):
    """The self-contained map report (one HTML file that opens offline)."""
    report = _report(request, year)
    response = HttpResponse(
        map_report_html(report, user=request.user), content_type="text/html; charset=utf-8"
    )
    # Opened in the browser, the report runs in a sandbox of its own origin: its scripts
    # draw the map but cannot reach this site's session or pages.
    response["Content-Security-Policy"] = "sandbox allow-scripts allow-popups"
    if "download" in request.GET:
        name = f"plan-{year}-map-{report['today'].isoformat()}.html"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
