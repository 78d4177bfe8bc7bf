"""The site's one log-in page (``/accounts/login/``) and where people land after it.

Every page that needs a log-in sends to ``LOGIN_URL``; the admin's own log-in page
redirects here with its ``next`` (geo_cm/urls.py), so the lockout, the language and the
look are the same everywhere. Without a ``next``, a user lands on the page of their role.
"""

from django.contrib.auth.views import LoginView
from django.urls import reverse

# Roles (geo_cm.roles) in the order that decides, for a user holding several, where they
# land: the widest role's page first.
ROLE_LANDINGS = (
    ("administrator", "admin:index"),
    ("gis_staff", "imports"),
    ("planner", "plans"),
    ("field_team", "field-app"),
)


def user_landing_url(*, user) -> str:
    """The page ``user`` lands on after logging in without a ``next``: the admin for
    administrators, the imports for GIS staff, the plans for planners, the field app for
    field teams, else the overview map."""
    if user.is_superuser:
        return reverse("admin:index")
    groups = set(user.groups.values_list("name", flat=True))
    for group, url_name in ROLE_LANDINGS:
        if group in groups:
            return reverse(url_name)
    return reverse("map")


class SiteLoginView(LoginView):
    """Django's log-in view with the role's landing page as the default destination."""

    def get_default_redirect_url(self):
        return user_landing_url(user=self.request.user)
