"""The production shape (docker-compose.yml) is valid, and settings come from the environment."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_is_accepted_by_docker_compose():
    compose = shutil.which("docker-compose")
    assert compose, "docker-compose (Debian package) is required to validate the compose file"
    env = {**os.environ, "DJANGO_SECRET_KEY": "x"}
    result = subprocess.run(
        [compose, "-f", str(ROOT / "docker-compose.yml"), "config"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert {"db", "web", "migrate", "worker"} <= set(config["services"])
    web_env = config["services"]["web"]["environment"]
    assert web_env["GEOCM_DEBUG"] == "0"
    assert web_env["DATABASE_URL"].startswith("postgres://")
    assert "gunicorn" in " ".join(config["services"]["web"]["command"])


@pytest.mark.parametrize(
    "variable, value, expression, expected",
    [
        ("GEOCM_DEBUG", "0", "settings.DEBUG", "False"),
        ("GEOCM_BASEMAP", "none", "settings.GEOCM['BASEMAP']", "none"),
        (
            "DATABASE_URL",
            "postgres://u:p@db.example:6543/x",
            "settings.DATABASES['default']['PORT']",
            "6543",
        ),
    ],
)
def test_settings_read_the_environment(variable, value, expression, expected):
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'geo_cm.settings'); from django.conf import settings; print(" + expression + ")"
    )
    env = {**os.environ, variable: value}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
