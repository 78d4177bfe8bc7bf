import importlib.util

from django.apps import apps
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularSwaggerSplitView

from . import views
from .accounts import SiteLoginView
from .api.areas import AreasView
from .api.ogc import LandingView
from .api.openapi import OpenApiView
from .registry import registry


def domain_urls():
    """The URL modules of the apps that contribute layers (found, not imported by name)."""
    labels = sorted({layer.model._meta.app_label for layer in registry.all()})
    found = []
    for label in labels:
        module = f"{apps.get_app_config(label).name}.urls"
        if importlib.util.find_spec(module) is not None:
            found.append(path("", include(module)))
    return found


urlpatterns = [
    path("", views.overview_map, name="map"),
    # QGIS does not follow a redirect from /ogc to /ogc/: the landing page answers both.
    path("ogc", LandingView.as_view(schema=None)),
    path("ogc/", include("geo_cm.api.urls")),
    path("", include("geo_cm.field.urls")),
    path("", include("geo_cm.coverage.urls")),
    path("", include("geo_cm.jobs.urls")),
    path("accounts/login/", SiteLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("geo_cm.imports.urls")),
    path("", include("geo_cm.plans.urls")),
    path("api/areas", AreasView.as_view(), name="district-boundary"),
    path("api/schema/", OpenApiView.as_view(), name="openapi-schema"),
    # The split view serves Swagger UI's start-up code as a script file, not inline (CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="openapi-schema"),
        name="swagger-ui",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # One log-in page for the whole site: the admin's sends to it, keeping its `next`.
    path("admin/login/", RedirectView.as_view(url="/accounts/login/", query_string=True)),
    path("admin/", admin.site.urls),
    *domain_urls(),
]
# A URL under the APIs that matches no view answers JSON, like every API error.
handler404 = "geo_cm.api.errors.not_found"
# Uploaded photos in development; production serves MEDIA_ROOT (or object storage) itself.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
