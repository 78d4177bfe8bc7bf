"""Who may read the plan.

One rule for every plan page, API and export (dashboard, progress and target APIs, the
workbook, the printable page and the map report): the user needs both
``plans.view_plan`` and ``plans.view_reportedvalue``. Readings' evidence and reporter are
part of those reports, so the permission to see readings is required rather than checked
field by field; geo_cm.roles grants both to planner, gis_staff and administrator, and no
other role (parking_feed, field staff, a user with no group) sees the plan. Records shown
per target are further limited to layers the user may see (``Layer.visible_to``).
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from rest_framework import permissions

PLAN_READ_PERMS = ("plans.view_plan", "plans.view_reportedvalue")


def user_can_read_plans(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perms(PLAN_READ_PERMS))


class CanReadPlans(permissions.BasePermission):
    """DRF: 401/403 unless the user may read the plan (see the module docstring)."""

    def has_permission(self, request, view):
        return user_can_read_plans(request.user)


def plan_reader_required(view):
    """Pages and files: anonymous users go to the login page, others without the plan
    permissions get a 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_can_read_plans(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped, login_url="/accounts/login/")
