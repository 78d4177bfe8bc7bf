"""OpenAPI: HTTP basic with the lockout is still HTTP basic (drf-spectacular extension)."""

from drf_spectacular.authentication import BasicScheme


class LockoutBasicScheme(BasicScheme):
    target_class = "geo_cm.security.lockout.LockoutBasicAuthentication"
