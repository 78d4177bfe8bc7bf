# GeoCM web image: Debian 12's GDAL/GEOS/PROJ (the versions the project is tested with)
# and the pinned Python dependencies from pyproject.toml, served by gunicorn.
FROM debian:bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# libgdal32 brings libgeos-c and libproj, which Django's GIS finds without any path.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates gdal-bin libgdal32 python3-venv gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN python3 -m venv /opt/venv

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. pyproject.toml lists no
# packages (the code runs from /app), so `pip install .` installs the pinned dependencies.
COPY pyproject.toml README.md ./
RUN pip install --no-cache-dir .

COPY . .

# Static files and translations are built into the image. Settings are imported, but no
# database is contacted, so placeholder values are enough here.
RUN export DJANGO_SECRET_KEY=build-only GEOCM_DEBUG=0 GEOCM_ALLOWED_HOSTS=build \
        DATABASE_URL=postgres://build@127.0.0.1:5432/build \
    && if find . -path '*/locale/*' -name '*.po' | grep -q .; then \
        python manage.py compilemessages -v 0; \
    fi \
    && python manage.py collectstatic --noinput -v 0

RUN useradd --system --no-create-home --home-dir /app geocm \
    && mkdir -p /app/var/media /app/var/backups \
    && chown geocm:geocm /app/var /app/var/media /app/var/backups
USER geocm

EXPOSE 8000
ENV GEOCM_BIND=0.0.0.0:8000
CMD ["gunicorn", "--config", "gunicorn.conf.py", "geo_cm.wsgi:application"]
