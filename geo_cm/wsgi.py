"""WSGI entry point (gunicorn geo_cm.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_cm.settings")
application = get_wsgi_application()
