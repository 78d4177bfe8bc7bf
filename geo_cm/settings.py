"""GeoCM settings: read from the environment, with one namespaced dict of project knobs.

Every value can be overridden by an environment variable; the defaults suit a developer's
machine (`make run`). Production (docker-compose.yml) sets GEOCM_DEBUG=0 and a secret key.
"""

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name, default):
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


def _local_database_url():
    # The bootstrap writes the private cluster's URL here; DATABASE_URL wins when set.
    path = BASE_DIR / "var" / "pg" / "database_url"
    return path.read_text().strip() if path.exists() else "postgres://geocm@127.0.0.1:5432/geocm"


DEBUG = _env_bool("GEOCM_DEBUG", True)


def _required_in_production(name, development_default):
    # With DEBUG off nothing falls back silently: a missing variable stops the start-up
    # with a sentence naming it (docs/operations.md lists the production environment).
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if DEBUG:
        return development_default
    raise ImproperlyConfigured(
        f"{name} is not set. GEOCM_DEBUG=0 (production) reads it from the environment: "
        f"set it (see docs/operations.md, 'Production environment') and start again."
    )


SECRET_KEY = _required_in_production("DJANGO_SECRET_KEY", "geocm-development-only-not-secret")
ALLOWED_HOSTS = _required_in_production("GEOCM_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(
    ","
)
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("GEOCM_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_gis",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaflet",
    "axes",
    "geo_cm.apps.GeoCMConfig",
    "geo_cm.security",
    "geo_cm.imports",
    "geo_cm.plans",
    "geo_cm.coverage",
    "geo_cm.jobs",
    "geo_cm.tiles",
    "parking",
    "toilets",
    "streets",
    "greenways",
    "workorders",
]

MIDDLEWARE = [
    "geo_cm.middleware.HealthCheckMiddleware",
    # Before anything reads the database for the request (sessions, users).
    "geo_cm.middleware.ReplicaReadsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before everything that writes the body: JSON answers leave compressed.
    "geo_cm.middleware.JSONGZipMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "geo_cm.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns axes's "locked out" flag into geo_cm.security.lockout's 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "geo_cm.urls"
WSGI_APPLICATION = "geo_cm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "geo_cm.context_processors.platform",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        # Development falls back to the private cluster's URL (written by scripts/pg.sh).
        _required_in_production("DATABASE_URL", None) or _local_database_url(),
        engine="django.contrib.gis.db.backends.postgis",
        # Keep connections open: the first ST_Transform on a new connection pays PROJ start-up.
        conn_max_age=int(os.environ.get("GEOCM_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
# gunicorn.conf.py sets this for web processes: a statement outliving its request stops.
if os.environ.get("GEOCM_DB_STATEMENT_TIMEOUT_MS"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={int(os.environ['GEOCM_DB_STATEMENT_TIMEOUT_MS'])}"
    )
# A streaming replica for reads (docs/operations.md, "Deploying for a city"): the router
# sends a web request's plain reads there, keeps writes and read-your-writes on the primary.
if os.environ.get("DATABASE_REPLICA_URL", "").strip():
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"].strip(),
        engine="django.contrib.gis.db.backends.postgis",
        conn_max_age=int(os.environ.get("GEOCM_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    # Tests make no separate replica database: the alias reads the test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["geo_cm.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Chinese first; English on request (the language switcher and ?lang / Accept-Language).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("GEOCM_STATIC_ROOT", BASE_DIR / "var" / "static"))
# Development serves from the app folders, so a checkout works before collectstatic.
# Production serves what collectstatic gathered: names carry a content hash and the files
# are pre-compressed, so WhiteNoise can let browsers and proxies cache them for a year.
WHITENOISE_USE_FINDERS = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("GEOCM_MEDIA_ROOT", BASE_DIR / "var" / "media"))

# One log-in page for the whole site; the admin's sends there too (geo_cm/urls.py). After
# logging in without a `next`, people land on their role's page (geo_cm.accounts).
LOGIN_URL = "/accounts/login/"

# Password log-ins (the form and HTTP basic on the API) check django-axes first
# (geo_cm/security/lockout.py): a locked-out client is refused before any hashing.
AUTHENTICATION_BACKENDS = [
    "geo_cm.security.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Proxies in front of GeoCM that append to X-Forwarded-For (nginx, a load balancer). The
# client's address is the entry the outermost one added; anything further left could be
# typed by the client. 0 believes only the socket's address (no proxy).
PROXY_COUNT = int(
    os.environ.get("GEOCM_PROXY_COUNT", "1" if _env_bool("GEOCM_TLS_PROXY", not DEBUG) else "0")
)
# Failed log-ins counted per client address (in the database: every worker sees them)...
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
# ...this many within the cool-off lock the address out of every password log-in...
AXES_FAILURE_LIMIT = int(os.environ.get("GEOCM_LOGIN_FAILURE_LIMIT", "10"))
# ...for this long after its last counted failure (refused tries while locked out do not
# count, so the lock ends on time and costs no database write).
AXES_COOLOFF_TIME = dt.timedelta(minutes=float(os.environ.get("GEOCM_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A successful log-in clears the address's failures (a colleague's typos do not add up).
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "geo_cm.security.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "geo_cm.security.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429

# --- Production hardening (GEOCM_DEBUG=0; `manage.py check --deploy` is clean with the
# environment in docs/operations.md). GeoCM runs behind a TLS proxy that sets
# X-Forwarded-Proto; GEOCM_TLS_PROXY=0 for a deployment that terminates TLS elsewhere.
if _env_bool("GEOCM_TLS_PROXY", not DEBUG):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = _env_bool("GEOCM_SSL_REDIRECT", not DEBUG)
# Load balancers and compose probe /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
# Cross-site requests carry no session: what lets staff JSON be gzipped safely (BREACH;
# geo_cm.middleware.JSONGZipMiddleware). Django's default, written down so it stays.
SESSION_COOKIE_SAMESITE = "Lax"
# One year of HSTS once in production (0 in development: a laptop must not pin HTTPS).
SECURE_HSTS_SECONDS = int(os.environ.get("GEOCM_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("GEOCM_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = _env_bool("GEOCM_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every response (django-csp). No inline script runs unless
# the server rendered it with this response's nonce (the admin's map widgets do); pages
# pass data to their scripts as JSON (json_script), never as code. Styles may be inline:
# Leaflet positions map panes with style attributes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        # Basemap tiles (geo_cm.basemaps): OpenStreetMap and Tianditu.
        "img-src": [
            SELF,
            "data:",
            "blob:",
            "https://tile.openstreetmap.org",
            "https://*.tianditu.gov.cn",
        ],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# GDAL < 3.9 cannot block file or network access (gis.W001). Debian 12 ships 3.6, so we
# silence the check and never pass a user-supplied CRS string to GDAL or PROJ.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

REST_FRAMEWORK = {
    # Documents the errors every view can answer (throttling, authentication, ...).
    "DEFAULT_SCHEMA_CLASS": "geo_cm.api.schema.GeoCMAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Machine clients (car-park gates, sensors): tokens an administrator issues and
        # revokes. First, so a refused credential is a 401 with "WWW-Authenticate: Token".
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        # HTTP basic checks the login lockout before hashing (geo_cm.security.lockout).
        "geo_cm.security.lockout.LockoutBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "EXCEPTION_HANDLER": "geo_cm.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Counted in PostgreSQL (geo_cm.security.throttles), so every worker counts together.
    "DEFAULT_THROTTLE_CLASSES": [
        "geo_cm.security.throttles.AnonRateThrottle",
        "geo_cm.security.throttles.UserRateThrottle",
    ],
    # X-Forwarded-For is believed as far as this many proxies vouch for it (PROXY_COUNT).
    "NUM_PROXIES": PROXY_COUNT,
    # Rates per scope ("N/second|minute|hour|day"; None switches a scope off).
    "DEFAULT_THROTTLE_RATES": {
        # Every API request without a log-in, per client address. Generous: phones behind
        # a carrier's shared address (CGNAT) look like one client, and the public parking
        # map asks a few times per move of the map.
        "anon": os.environ.get("GEOCM_API_ANON_RATE", "1200/min"),
        # Every API request of a signed-in user or API token (gates, QGIS), per user.
        "user": os.environ.get("GEOCM_API_USER_RATE", "3000/min"),
        # The public report form (no login): a citizen reports a handful of problems a day.
        "workorder_report": os.environ.get("GEOCM_REPORT_RATE", "10/hour"),
        # Reporting apps and hotline systems posting through Open311 with an API key.
        "open311_post": os.environ.get("GEOCM_OPEN311_POST_RATE", "600/hour"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "GeoCM API",
    "DESCRIPTION": "Pukou District city-management assets: OGC API - Features and domain APIs.",
    "VERSION": "0.1.0",
    "OAS_VERSION": "3.0.3",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SERVE_INCLUDE_SCHEMA": False,
    # GeoJSON and error schemas of the feature API (geo_cm/api/openapi.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "geo_cm.api.openapi.add_components",
    ],
}

# django-leaflet ships Leaflet 1.9 as local static files; the basemap comes from GEOCM below.
LEAFLET_CONFIG = {
    "DEFAULT_CENTER": (32.05, 118.6),
    "DEFAULT_ZOOM": 11,
    "TILES": [],
    "RESET_VIEW": False,
}

# Project knobs, one namespace.
GEOCM = {
    # Proxies in front that append to X-Forwarded-For (GEOCM_PROXY_COUNT, above).
    "PROXY_COUNT": PROXY_COUNT,
    # Basemap: "osm" (development), "tianditu" (needs TIANDITU_KEY), "none" (offline intranet).
    "BASEMAP": os.environ.get("GEOCM_BASEMAP", "osm"),
    # Tianditu web key; only used when BASEMAP is "tianditu".
    "TIANDITU_KEY": os.environ.get("GEOCM_TIANDITU_KEY", ""),
    # Map review number (审图号) a public deployment must show under its maps.
    "MAP_REVIEW_NUMBER": os.environ.get("GEOCM_MAP_REVIEW_NUMBER", ""),
    # Largest page the feature API serves; clients ask with ?limit=.
    "API_MAX_LIMIT": int(os.environ.get("GEOCM_API_MAX_LIMIT", "10000")),
    # Page size when the client gives no ?limit=.
    "API_DEFAULT_LIMIT": int(os.environ.get("GEOCM_API_DEFAULT_LIMIT", "100")),
    # Above this many estimated matches an item page omits numberMatched instead of
    # counting them (count(*) reads every match: 27-87 ms at a million rows, per page).
    "API_EXACT_COUNT_MAX": int(os.environ.get("GEOCM_API_EXACT_COUNT_MAX", "50000")),
    # Largest ?offset= for pages in the default order: deeper pages follow the next
    # link's cursor (an index range scan) instead of reading and skipping every row.
    "API_MAX_OFFSET": int(os.environ.get("GEOCM_API_MAX_OFFSET", "100000")),
    # Seconds a shared cache (proxy, CDN, browser) may reuse a public API answer before
    # asking again; a repeated question is then answered 304 while the data is unchanged.
    # work_mem for the analyses run in the job worker (dark roads): their sorts of a
    # million positions stay in memory. Per sort, in a worker: not the web's setting.
    "ANALYSIS_WORK_MEM": os.environ.get("GEOCM_ANALYSIS_WORK_MEM", "256MB"),
    "API_PUBLIC_MAX_AGE": int(os.environ.get("GEOCM_API_PUBLIC_MAX_AGE", "60")),
    # Occupancy reports older than this are refused by the feed.
    "OCCUPANCY_MAX_AGE_MINUTES": int(os.environ.get("GEOCM_OCCUPANCY_MAX_AGE_MINUTES", "1440")),
    # The layer whose lines form the walking network for network coverage.
    "NETWORK_LAYER": os.environ.get("GEOCM_NETWORK_LAYER", "roads"),
    # Split road lines where they cross (data without shared intersection vertices); set 0
    # for networks noded at their junctions already (OSM), where crossings may be bridges.
    "NETWORK_NODE_CROSSINGS": os.environ.get("GEOCM_NETWORK_NODE_CROSSINGS", "1") == "1",
    # Longest network edge (m): finer edges snap facilities and homes more exactly.
    "NETWORK_SEGMENT_M": float(os.environ.get("GEOCM_NETWORK_SEGMENT_M", "50")),
    # How far (m) a facility or demand point may be from the network to be snapped to it.
    "NETWORK_SNAP_M": float(os.environ.get("GEOCM_NETWORK_SNAP_M", "300")),
    # Half-width (m) of the strip along reached streets that counts as served.
    "NETWORK_STRIP_M": float(os.environ.get("GEOCM_NETWORK_STRIP_M", "50")),
    # Seconds between a job worker's heartbeats (its row in jobs_worker).
    "JOB_HEARTBEAT_SECONDS": float(os.environ.get("GEOCM_JOB_HEARTBEAT_SECONDS", "10")),
    # A worker silent this long is gone: its running job is run again by another worker,
    # and /healthz reports no live worker. Several heartbeats, so one slow write is no death.
    "JOB_WORKER_STALE_SECONDS": float(os.environ.get("GEOCM_JOB_WORKER_STALE_SECONDS", "45")),
    # How often an idle worker looks for work without a notification (and for jobs of
    # workers that went silent), in seconds.
    "JOB_POLL_SECONDS": float(os.environ.get("GEOCM_JOB_POLL_SECONDS", "10")),
    # Runs of one job at most: the first and one retry after its worker died. A job whose
    # worker dies again is marked failed instead of killing worker after worker.
    "JOB_MAX_ATTEMPTS": int(os.environ.get("GEOCM_JOB_MAX_ATTEMPTS", "2")),
    # A queued job older than this makes /healthz unhealthy (nobody is working the queue).
    "JOB_QUEUE_MAX_AGE_SECONDS": float(os.environ.get("GEOCM_JOB_QUEUE_MAX_AGE_SECONDS", "900")),
    # Photos sent with a change: largest file and largest image (decompression bombs).
    "PHOTO_MAX_BYTES": int(os.environ.get("GEOCM_PHOTO_MAX_BYTES", str(10_000_000))),
    "PHOTO_MAX_PIXELS": int(os.environ.get("GEOCM_PHOTO_MAX_PIXELS", str(40_000_000))),
    # A free-berth count older than this is shown as "not live" on the public map.
    "OCCUPANCY_LIVE_MINUTES": int(os.environ.get("GEOCM_OCCUPANCY_LIVE_MINUTES", "15")),
    # Occupancy reports are kept in monthly partitions: months prepared ahead of time, and
    # months older than the retention dropped by `manage.py parking_occupancy_maintain`
    # (0 keeps every month). 36 months covers three years of charts.
    "OCCUPANCY_PARTITIONS_AHEAD": int(os.environ.get("GEOCM_OCCUPANCY_PARTITIONS_AHEAD", "3")),
    "OCCUPANCY_RETENTION_MONTHS": int(os.environ.get("GEOCM_OCCUPANCY_RETENTION_MONTHS", "36")),
    # After a request writes, the same browser reads the primary for this many seconds
    # (longer than the replica's usual lag), so it sees its own change.
    "REPLICA_PIN_SECONDS": int(os.environ.get("GEOCM_REPLICA_PIN_SECONDS", "10")),
    # The public shared-parking answer is built once per data version and per this many
    # seconds, then served from the cache (and by proxies: Cache-Control max-age). 0 = off.
    "PUBLIC_ANSWER_SECONDS": int(os.environ.get("GEOCM_PUBLIC_ANSWER_SECONDS", "10")),
    # Imports (geo_cm.imports.safety): largest upload accepted, in bytes.
    "IMPORT_MAX_UPLOAD_BYTES": int(os.environ.get("GEOCM_IMPORT_MAX_UPLOAD_BYTES", "200000000")),
    # Largest total of the files inside an uploaded archive, in bytes.
    "IMPORT_MAX_UNCOMPRESSED_BYTES": int(
        os.environ.get("GEOCM_IMPORT_MAX_UNCOMPRESSED_BYTES", "1000000000")
    ),
    # Largest uncompressed/compressed ratio of an archive (zip bombs reach thousands).
    "IMPORT_MAX_RATIO": int(os.environ.get("GEOCM_IMPORT_MAX_RATIO", "100")),
    # Most entries an archive may hold (a shapefile has at most ~10 parts).
    "IMPORT_MAX_ENTRIES": int(os.environ.get("GEOCM_IMPORT_MAX_ENTRIES", "200")),
    # Most features one import may hold (rows of a CSV/XLSX table, counted while reading).
    "IMPORT_MAX_FEATURES": int(os.environ.get("GEOCM_IMPORT_MAX_FEATURES", "1000000")),
    # Largest text file parsed whole in memory (GeoJSON, KML, CSV; also inside a zip or
    # KMZ), in bytes: Python's JSON objects take about ten times the file's size.
    "IMPORT_MAX_TEXT_BYTES": int(os.environ.get("GEOCM_IMPORT_MAX_TEXT_BYTES", "64000000")),
    # Deepest nesting of [ and { a GeoJSON file may have (a feature needs about eight).
    "IMPORT_MAX_JSON_DEPTH": int(os.environ.get("GEOCM_IMPORT_MAX_JSON_DEPTH", "64")),
    # Most cells (rows x columns, empty ones included) of a CSV or XLSX table.
    "IMPORT_MAX_TABLE_CELLS": int(os.environ.get("GEOCM_IMPORT_MAX_TABLE_CELLS", "2000000")),
    # Days an upload that is not imported is kept before the purge deletes it.
    "IMPORT_UPLOAD_EXPIRY_DAYS": float(os.environ.get("GEOCM_IMPORT_UPLOAD_EXPIRY_DAYS", "7")),
    # Seconds between two runs of a worker's periodic tasks (the upload purge).
    "JOB_PERIODIC_SECONDS": float(os.environ.get("GEOCM_JOB_PERIODIC_SECONDS", "3600")),
    # Work orders: (reply within hours, resolve within days) per category, counted from when
    # the order was received (a reopened order's resolution from its reopening). Overdue is
    # computed from these, so a change here re-judges open orders.
    "WORKORDER_DEADLINES": {
        "street_light": (24, 3),
        "toilet": (12, 2),
        "parking": (24, 5),
        "road": (24, 7),
        "alley": (24, 7),
        "greenway": (24, 5),
        "sanitation": (12, 1),
        "other": (24, 5),
    },
    # Farthest (m) an asset may be from the reported point to be proposed as its subject.
    "WORKORDER_ASSET_RADIUS_M": float(os.environ.get("GEOCM_WORKORDER_ASSET_RADIUS_M", "150")),
    # The public report form: photos per report and the largest photo, in bytes.
    "REPORT_MAX_PHOTOS": int(os.environ.get("GEOCM_REPORT_MAX_PHOTOS", "3")),
    "REPORT_PHOTO_MAX_BYTES": int(os.environ.get("GEOCM_REPORT_PHOTO_MAX_BYTES", "5000000")),
    # Open311 GeoReport v2: the jurisdiction_id clients may send (Pukou's division code).
    "OPEN311_JURISDICTION": os.environ.get("GEOCM_OPEN311_JURISDICTION", "320111"),
    # Vector tiles (geo_cm.tiles). Highest zoom served (deeper tiles add no precision).
    "TILE_MAX_ZOOM": int(os.environ.get("GEOCM_TILE_MAX_ZOOM", "22")),
    # A point tile holding more points than this is sent as grid clusters (about 15 bytes
    # a point: 10,000 points is ~150 kB), below TILE_CLUSTER_MAX_ZOOM only.
    "TILE_MAX_POINTS": int(os.environ.get("GEOCM_TILE_MAX_POINTS", "10000")),
    "TILE_CLUSTER_MAX_ZOOM": int(os.environ.get("GEOCM_TILE_CLUSTER_MAX_ZOOM", "17")),
    # Cluster cells along a tile side (16: a cell is 16 px of a 256 px tile).
    "TILE_CLUSTER_GRID": int(os.environ.get("GEOCM_TILE_CLUSTER_GRID", "16")),
    # Cache-Control of public tiles, in seconds: 0 and 0 send "public, no-cache" (kept by
    # proxies, revalidated by ETag on every use, so an edit shows at once); a CDN may be
    # allowed to serve a tile unrevalidated for s-maxage seconds.
    "TILE_MAX_AGE": int(os.environ.get("GEOCM_TILE_MAX_AGE", "0")),
    "TILE_SHARED_MAX_AGE": int(os.environ.get("GEOCM_TILE_SHARED_MAX_AGE", "0")),
    # Built tiles kept in Django's cache (keyed by data version, so never stale): the
    # largest kept and for how long, in bytes and seconds.
    "TILE_CACHE_MAX_BYTES": int(os.environ.get("GEOCM_TILE_CACHE_MAX_BYTES", "1000000")),
    "TILE_CACHE_SECONDS": int(os.environ.get("GEOCM_TILE_CACHE_SECONDS", "3600")),
    # The overview map draws a layer from tiles above this many records, else as GeoJSON.
    "MAP_TILED_ABOVE": int(os.environ.get("GEOCM_MAP_TILED_ABOVE", "1000")),
    # The overview map draws at most this many of an import's records as its highlight
    # (the count and the framing are of all of them).
    "IMPORT_HIGHLIGHT_LIMIT": int(os.environ.get("GEOCM_IMPORT_HIGHLIGHT_LIMIT", "5000")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The handler has the level: Django's own loggers pass INFO records up to the root,
    # which would print the development server's lines a second time.
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "level": os.environ.get("GEOCM_LOG_LEVEL", "WARNING"),
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("GEOCM_LOG_LEVEL", "WARNING")},
}
